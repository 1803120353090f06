/* orphans N: a storm of N short-lived orphans for pid1 to reap.
 * Each round forks a child that forks a grandchild and exits at once; the grandchild exits too and, its
 * parent gone, is reparented to the nearest subreaper or init: pid1. orphans reaps its own children
 * only, prints "done N\n" and then waits for the end of stdin, so pid1 is still supervising when the test
 * looks for zombies. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 1000;
    for (int i = 0; i < count; i++) {
        pid_t middle = fork();
        if (middle < 0) return 1;
        if (middle == 0) {
            if (fork() == 0) _exit(0);
            _exit(0);
        }
        if (waitpid(middle, NULL, 0) != middle) return 2;
    }
    printf("done %d\n", count);
    fflush(stdout);
    char buffer[64];
    while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
    }
    return 0;
}
