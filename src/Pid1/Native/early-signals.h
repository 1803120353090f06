/* pid1's own C: the mask the process was started with, recorded by early-signals.c before the runtime starts. */
#ifndef PID1_EARLY_SIGNALS_H
#define PID1_EARLY_SIGNALS_H

#include <signal.h>

/* Copies the signal mask pid1 inherited (its parent's, through execve) into *mask. */
void pid1_inherited_sigmask(sigset_t *mask);

#endif
