// The remote executor: one Perl program, started once per SSH connection, that runs every
// command the worker asks for (runtime/remote-executor.ts is the other end). Fixed text:
// commands arrive as framed data on its stdin (runtime/executor-protocol.ts) and are run with
// fork + exec of the argument list, never through a shell. Only perl-base modules are used
// (Essential on Debian, so every host has them).
//
// Frames, both ways: a 4-byte big-endian length, then one type letter and length-prefixed
// fields (`pack 'a1 (N/a*)*'`). Replies start after the line FRAMES_FOLLOW (executor-protocol.ts).
//   in:  R id cwd stdio has-input input env-count (name value)... argv...   run a command
//        K id signal-name                                                  signal it
//   out: H version pid              the executor is up
//        P id pid                   started (kills go by id: the executor knows the pid)
//        O id bytes / E id bytes    a chunk of its stdout / stderr
//        X id code signal           it exited (one of code and signal is empty) and its output ended
//        F id reason                it could not be started (no pipe, no fork)
//
// Each command is its own session leader, as under sshd, and the executor never kills one on
// its own: when the worker goes away (stdin ends) it exits and leaves them running, so a
// retry finds "a command an earlier attempt left running" as it would after a dropped channel.

import { FRAMES_FOLLOW } from './executor-protocol';

/** Sent in the hello; bumped whenever the frames change. */
export const EXECUTOR_VERSION = 'godwit-executor 1';

export const EXECUTOR_PROGRAM = String.raw`
use strict;
use warnings;
use POSIX ();
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Config;

my @signame = split ' ', $Config{sig_name};
my %known_signal = map { $_ => 1 } @signame;

# A program that closes its stdin early gives us EPIPE on that pipe, not our death.
$SIG{PIPE} = 'IGNORE';
binmode STDIN;
binmode STDOUT;

sub nonblocking {
  my ($fh) = @_;
  my $flags = fcntl($fh, F_GETFL, 0) or die "fcntl: $!";
  fcntl($fh, F_SETFL, $flags | O_NONBLOCK) or die "fcntl: $!";
}

# SIGCHLD wakes the select loop through this pipe (a command with stdio on /dev/null has no
# output to wake us when it exits).
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
nonblocking($_) for $wake_r, $wake_w;
$SIG{CHLD} = sub { syswrite $wake_w, 'c' };

my %command;  # id -> { pid, status, outputs (open output pipes), stdin (stream), input (bytes left) }
my %stream;   # fd -> { fd, fh, id, kind: O E or I }
my %by_pid;   # pid -> id, until reaped

# Replies wait here until the end of a pass through the loop, so that a command's last output
# and its exit leave in one write: as two small writes, the host's TCP (Nagle: sshd sets no
# TCP_NODELAY without a tty) would hold the second back until the worker's delayed ACK, about
# 20 ms. Output alone is held one more short pass, as its program's exit often follows at once.
my $outbox = '';
my $outbox_has_more_than_output = 0;

sub reply {
  my $body = pack 'a1 (N/a*)*', @_;
  $outbox .= pack('N', length $body) . $body;
  $outbox_has_more_than_output = 1 unless $_[0] eq 'O' || $_[0] eq 'E';
  flush() if length $outbox >= 262144;
}

sub flush {
  while (length $outbox) {
    my $n = syswrite STDOUT, $outbox;
    if (!defined $n) {
      next if $!{EINTR};
      exit 0; # the worker is gone
    }
    substr($outbox, 0, $n) = '';
  }
  $outbox_has_more_than_output = 0;
}

sub add_stream {
  my ($fh, $id, $kind) = @_;
  nonblocking($fh);
  my $s = { fd => fileno $fh, fh => $fh, id => $id, kind => $kind };
  $stream{$s->{fd}} = $s;
  return $s;
}

# By record, not by fd: a closed fd is soon reused by another command's pipe.
sub close_stream {
  my ($s) = @_;
  return unless $s->{fh};
  delete $stream{$s->{fd}} if ($stream{$s->{fd}} // 0) == $s;
  close $s->{fh};
  $s->{fh} = undef;
}

sub run_child {
  my ($ends, $quiet, $cwd, $env, $argv) = @_;
  $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD);
  POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
  POSIX::setsid();
  if ($quiet) {
    open my $null, '+<', '/dev/null' or POSIX::_exit(127);
    POSIX::dup2(fileno $null, $_) for 0, 1, 2;
  } else {
    my $in = $ends->{I};
    if (!$in) { open $in, '<', '/dev/null' or POSIX::_exit(127) }
    POSIX::dup2(fileno $in, 0);
    POSIX::dup2(fileno $ends->{O}, 1);
    POSIX::dup2(fileno $ends->{E}, 2);
  }
  if (length $cwd && !chdir $cwd) {
    print STDERR "godwit: cannot enter $cwd: $!\n";
    POSIX::_exit(127);
  }
  while (@$env) {
    my $name = shift @$env;
    $ENV{$name} = shift @$env;
  }
  { no warnings 'exec'; exec { $argv->[0] } @$argv; }
  # The codes a shell gives: 127 not found, 126 found but not runnable.
  my $code = $!{ENOENT} ? 127 : 126;
  print STDERR "godwit: cannot run $argv->[0]: $!\n";
  POSIX::_exit($code);
}

sub start {
  my ($id, $cwd, $stdio, $has_input, $input, $env_count, @rest) = @_;
  my @env = splice @rest, 0, 2 * $env_count;
  my @argv = @rest;
  return reply('F', $id, 'no program given') unless @argv;
  my $quiet = $stdio eq 'null';
  my (%ours, %theirs);
  my $failed = sub {
    my $reason = "$_[0]: $!";
    close $_ for grep { defined } values %ours, values %theirs;
    reply('F', $id, $reason);
  };
  if (!$quiet) {
    pipe($ours{O}, $theirs{O}) or return $failed->('pipe');
    pipe($ours{E}, $theirs{E}) or return $failed->('pipe');
    if ($has_input) { pipe($theirs{I}, $ours{I}) or return $failed->('pipe') }
  }
  my $pid = fork;
  return $failed->('fork') unless defined $pid;
  run_child(\%theirs, $quiet, $cwd, \@env, \@argv) if $pid == 0;
  close $_ for values %theirs;
  my $c = { pid => $pid, outputs => 0, input => $input };
  $command{$id} = $c;
  $by_pid{$pid} = $id;
  for my $kind (qw(O E)) {
    next unless $ours{$kind};
    add_stream($ours{$kind}, $id, $kind);
    $c->{outputs}++;
  }
  $c->{stdin} = add_stream($ours{I}, $id, 'I') if $ours{I};
  reply('P', $id, $pid);
}

sub signal_command {
  my ($id, $signal) = @_;
  my $c = $command{$id} or return;
  # Once reaped, the pid may already be someone else's.
  return if defined $c->{status} || !$known_signal{$signal};
  kill $signal, $c->{pid};
}

# Until the pipe is empty (within reason), so that an output's end is seen in the same pass.
sub read_output {
  my ($s) = @_;
  for (1 .. 16) {
    my $n = sysread $s->{fh}, my $chunk, 65536;
    return if !defined $n && ($!{EINTR} || $!{EAGAIN});
    if (!$n) {
      close_stream($s);
      $command{$s->{id}}{outputs}--;
      return;
    }
    reply($s->{kind}, $s->{id}, $chunk);
  }
}

sub write_input {
  my ($s) = @_;
  my $c = $command{$s->{id}};
  if (length $c->{input}) {
    my $n = syswrite $s->{fh}, $c->{input};
    if (defined $n) { substr($c->{input}, 0, $n) = '' }
    elsif ($!{EINTR} || $!{EAGAIN}) { return }
    else { $c->{input} = '' } # the program closed its stdin: the rest is not wanted
  }
  close_stream($s) unless length $c->{input};
}

sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $by_pid{$pid};
    $command{$id}{status} = $? if defined $id;
  }
}

# Done once the program has exited and its output has ended (a program it left behind
# holding the pipes keeps the command running, as under sshd).
sub finish {
  for my $id (keys %command) {
    my $c = $command{$id};
    next unless defined $c->{status} && $c->{outputs} == 0;
    close_stream($c->{stdin}) if $c->{stdin};
    my $status = $c->{status};
    if ($status & 127) { reply('X', $id, '', $signame[$status & 127] // $status & 127) }
    else { reply('X', $id, $status >> 8, '') }
    delete $command{$id};
  }
}

syswrite STDOUT, "\n${FRAMES_FOLLOW}\n";
reply('H', '${EXECUTOR_VERSION}', $$);
flush();
my $requests = '';
my $held = 0; # output waits in the outbox for one more pass of at most 2 ms
for (;;) {
  my ($rin, $win) = ('', '');
  vec($rin, fileno STDIN, 1) = 1;
  vec($rin, fileno $wake_r, 1) = 1;
  for my $s (values %stream) { vec($s->{kind} eq 'I' ? $win : $rin, $s->{fd}, 1) = 1 }
  my $ready = select(my $rout = $rin, my $wout = $win, undef, $held ? 0.002 : 1);
  if ($ready < 0) {
    next if $!{EINTR};
    die "select: $!";
  }
  sysread $wake_r, my $drained, 512;
  for my $s (values %stream) {
    next unless $s->{fh};
    if ($s->{kind} eq 'I') { write_input($s) if vec($wout, $s->{fd}, 1) }
    elsif (vec($rout, $s->{fd}, 1)) { read_output($s) }
  }
  if (vec($rout, fileno STDIN, 1)) {
    my $n = sysread STDIN, $requests, 65536, length $requests;
    # The worker is gone: leave the commands running, as a dropped channel would.
    exit 0 if defined $n && $n == 0;
    exit 0 if !defined $n && !$!{EINTR} && !$!{EAGAIN};
    while (length $requests >= 4) {
      my $length = unpack 'N', $requests;
      last if length $requests < 4 + $length;
      my ($type, @fields) = unpack 'a1 (N/a*)*', substr($requests, 4, $length);
      substr($requests, 0, 4 + $length) = '';
      if ($type eq 'R') { start(@fields) }
      elsif ($type eq 'K') { signal_command(@fields) }
    }
  }
  reap();
  finish();
  if (length $outbox && !$outbox_has_more_than_output && !$held) { $held = 1 }
  else { flush(); $held = 0 }
}
`;
