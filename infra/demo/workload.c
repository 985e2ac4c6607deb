/*
 * Godwit's demo workload: a process whose state matters.
 *
 * It holds --memory-mib of memory, rewrites --dirty-mib-per-sec of it every second, and
 * counts ticks (100 per second) in a variable that lives only in its memory. Anyone may read
 * the counter: connect to --port and it writes "<counter>\n". If a migration lost the
 * process's memory, the counter would start again from zero.
 *
 * With --heartbeat FILE it also appends "<counter>\n" to FILE at every tick: a file two
 * copies of the process would share (a bind mount of storage both hosts see) shows whether
 * they ever ran at once, or one ran on after it was frozen: the numbers would not only rise.
 *
 * `workload --check [--port N]` connects to a running workload on this network and exits 0
 * if it answers: the health check run inside the restored container.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define TICK_MS 10

static long arg_long(int argc, char **argv, const char *name, long fallback) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return strtol(argv[i + 1], NULL, 10);
    return fallback;
}

static const char *arg_string(int argc, char **argv, const char *name) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

static int has_flag(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

static int check(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char buf[64];
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 1;
    buf[n] = 0;
    printf("counter %s", buf);
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    int port = (int)arg_long(argc, argv, "--port", 7070);
    if (has_flag(argc, argv, "--check")) return check(port);

    size_t bytes = (size_t)arg_long(argc, argv, "--memory-mib", 64) << 20;
    size_t dirty_per_sec = (size_t)arg_long(argc, argv, "--dirty-mib-per-sec", 4) << 20;
    signal(SIGPIPE, SIG_IGN);
    const char *heartbeat = arg_string(argc, argv, "--heartbeat");
    /* O_APPEND: each tick's line lands whole at the end, whoever else writes the file. */
    int hfd = heartbeat ? open(heartbeat, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
    if (heartbeat && hfd < 0) return perror("heartbeat"), 1;

    unsigned char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return perror("mmap"), 1;
    /* Touch every page with non-zero data so it really is resident and must be dumped. */
    for (size_t off = 0; off < bytes; off += PAGE) mem[off] = (unsigned char)(off / PAGE) | 1;

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 16) != 0) return perror("listen"), 1;
    fcntl(lfd, F_SETFL, O_NONBLOCK);

    unsigned long long counter = 0;
    size_t cursor = 0;
    size_t dirty_per_tick = dirty_per_sec / (1000 / TICK_MS);
    long long next = now_ms();
    for (;;) {
        counter++;
        if (hfd >= 0) {
            char beat[32];
            int len = snprintf(beat, sizeof beat, "%llu\n", counter);
            (void)!write(hfd, beat, (size_t)len);
        }
        /* Dirty the next slice of memory, wrapping around. */
        for (size_t done = 0; done < dirty_per_tick && bytes > 0; done += PAGE) {
            mem[cursor] = (unsigned char)counter;
            cursor = (cursor + PAGE) % bytes;
        }
        next += TICK_MS;
        for (;;) {
            long long wait = next - now_ms();
            if (wait < 0) wait = 0;
            struct pollfd pfd = {.fd = lfd, .events = POLLIN};
            if (poll(&pfd, 1, (int)wait) > 0) {
                int cfd = accept(lfd, NULL, NULL);
                if (cfd >= 0) {
                    char line[32];
                    int len = snprintf(line, sizeof line, "%llu\n", counter);
                    (void)!write(cfd, line, (size_t)len);
                    close(cfd);
                }
                continue;
            }
            if (now_ms() >= next) break;
        }
        /* After a long stop (a freeze, a migration) do not try to catch up missed ticks. */
        if (now_ms() - next > 1000) next = now_ms();
    }
}
