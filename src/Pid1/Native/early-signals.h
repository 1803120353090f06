/* pid1's own C: the mask and SIGPIPE disposition the process was started with, recorded by early-signals.c before the runtime starts. */
#ifndef PID1_EARLY_SIGNALS_H
#define PID1_EARLY_SIGNALS_H

#include <signal.h>

/* Copies the signal mask pid1 inherited (its parent's, through execve) into *mask. */
void pid1_inherited_sigmask(sigset_t *mask);

/* 1 when pid1 was started with SIGPIPE ignored (seen before the runtime ignores it for itself), else 0. */
int pid1_inherited_sigpipe_ignored(void);

#endif
