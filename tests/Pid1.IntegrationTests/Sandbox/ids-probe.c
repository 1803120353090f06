/* A small program the sandbox tests run inside pid1 to see what a service would see.
 *   ids-probe bind PORT      TCP bind on 127.0.0.1:PORT; prints "bound" or the error
 *   ids-probe selfconnect    listen on 127.0.0.1, connect to it; prints "connected"
 *   ids-probe serve          socket activation: checks LISTEN_*, prints "ready ...", echoes one line on fd 3
 *   ids-probe client PORT TEXT  connects to 127.0.0.1:PORT, sends TEXT, prints the reply */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int bind_port(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { printf("bind: %s\n", strerror(errno)); return 1; }
    printf("bound\n");
    return 0;
}

static int selfconnect(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) { printf("listen: %s\n", strerror(errno)); return 1; }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) { printf("connect: %s\n", strerror(errno)); return 1; }
    printf("connected\n");
    return 0;
}

static int serve(void) {
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID"), *names = getenv("LISTEN_FDNAMES");
    if (!fds || !pid || atoi(pid) != getpid()) { printf("bad LISTEN_PID=%s getpid=%d\n", pid ? pid : "-", getpid()); return 3; }
    int n = atoi(fds), type = 0, accepting = 0;
    socklen_t len = sizeof type;
    getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len);
    len = sizeof accepting;
    getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len);
    printf("ready fds=%d names=%s uid=%d cloexec=%d fd%d-open=%d type=%s\n", n, names ? names : "-", getuid(),
           fcntl(3, F_GETFD) & FD_CLOEXEC, 3 + n, fcntl(3 + n, F_GETFD) >= 0, type == SOCK_DGRAM ? "udp" : accepting ? "tcp-listening" : "tcp");
    fflush(stdout);
    char buffer[256];
    if (type == SOCK_DGRAM) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        ssize_t r = recvfrom(3, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &fromlen);
        sendto(3, buffer, r, 0, (struct sockaddr *)&from, fromlen);
        return 0;
    }
    int c = accept(3, NULL, NULL);
    ssize_t r = read(c, buffer, sizeof buffer);
    write(c, buffer, r > 0 ? r : 0);
    close(c);
    return 0;
}

static int client(int port, const char *text) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(port);
    if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) { printf("connect: %s\n", strerror(errno)); return 1; }
    write(c, text, strlen(text));
    char buffer[256];
    ssize_t r = read(c, buffer, sizeof buffer - 1);
    buffer[r > 0 ? r : 0] = 0;
    printf("reply %s\n", buffer);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "bind")) return bind_port(atoi(argv[2]));
    if (argc >= 2 && !strcmp(argv[1], "selfconnect")) return selfconnect();
    if (argc >= 2 && !strcmp(argv[1], "serve")) return serve();
    if (argc >= 4 && !strcmp(argv[1], "client")) return client(atoi(argv[2]), argv[3]);
    fprintf(stderr, "usage: ids-probe bind PORT | selfconnect | serve | client PORT TEXT\n");
    return 2;
}
