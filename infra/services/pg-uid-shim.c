/*
 * Lets PostgreSQL run with every process as root (uid 0 on the host), which CRIU needs here:
 * root on these machines lacks CAP_SYS_RESOURCE, and without it CRIU cannot read the rlimits
 * of a task under another uid ("Can't get rlimit 0: Operation not permitted").
 *
 * PostgreSQL refuses root in two places, both by asking for the uid:
 *   - main() (src/backend/main/main.c check_root): geteuid() == 0 -> "root" execution ... is
 *     not permitted; getuid() != geteuid() -> "real and effective user IDs must match";
 *   - initdb (src/bin/initdb/initdb.c get_id): geteuid() == 0 -> "cannot be run as root";
 * and then checks that the data directory belongs to it (src/backend/utils/init/miscinit.c
 * checkDataDir: stat's st_uid != geteuid() -> "data directory has wrong ownership").
 * There is no option to allow root. So this library, preloaded into postgres and initdb only,
 * answers getuid()/geteuid() with GODWIT_PG_UID (the rootfs's postgres user) and nothing
 * else: the kernel still sees uid 0, so file access and CRIU work as for any root process.
 * The data directory itself is chowned to that uid so the ownership check holds; the files
 * postgres creates in it belong to root, and postgres reaches the directory through
 * CAP_DAC_OVERRIDE (the bundle grants it).
 *
 * Considered instead: a user namespace mapping the container's postgres uid to host uid 0
 * (no lie at all to postgres), but it changes the bundle's mounts (sysfs cannot be mounted
 * in a user namespace that does not own the joined network namespace), how runc and CRIU
 * restore it and the lab's whole placement of bundles; patching or rebuilding postgres.
 *
 * getresuid() is answered too, for consistency (postgres does not call it today).
 * Without GODWIT_PG_UID set the real ids are returned: the library is then inert.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static long reported = -1;

__attribute__((constructor)) static void read_reported_uid(void) {
  const char *value = getenv("GODWIT_PG_UID");
  char *end;
  long uid;
  if (value == NULL || *value == '\0') return;
  uid = strtol(value, &end, 10);
  /* 0 would defeat the point, and a typo must not silently pass for root. */
  if (*end == '\0' && uid > 0) reported = uid;
}

uid_t getuid(void) { return reported > 0 ? (uid_t)reported : (uid_t)syscall(SYS_getuid); }

uid_t geteuid(void) { return reported > 0 ? (uid_t)reported : (uid_t)syscall(SYS_geteuid); }

int getresuid(uid_t *ruid, uid_t *euid, uid_t *suid) {
  if (reported <= 0) return (int)syscall(SYS_getresuid, ruid, euid, suid);
  *ruid = *euid = *suid = (uid_t)reported;
  return 0;
}
