// cachefiles-copy — a minimal /dev/cachefiles on-demand daemon, the baseline of benchmark P3: every READ is
// served synchronously, in the order read, on one thread: pread the source, pwrite through the object's anon
// fd, ioctl(CACHEFILES_IOC_READ_COMPLETE). No parallelism, no read-ahead, no deadline: the floor.
//
// Usage: cachefiles-copy CACHEDIR TAG COOKIE=SOURCE...   (root; CONFIG_CACHEFILES_ONDEMAND)
//   An OPEN whose cookie key is COOKIE is served from the file SOURCE; other cookies get -ENOENT.
//   Prints "ready" on stderr once bound; SIGTERM ends it (the kernel then fails what is outstanding).
// Build: gcc -O2 -o cachefiles-copy cachefiles-copy.c
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/cachefiles.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096u
#define MAX_OBJECTS 4096
#define MAX_READ (64u << 20)

struct object {
    int anon_fd; // -1 when free
    int src_fd;
};

static struct object objects[MAX_OBJECTS];
static int nsources;
static char **source_args;

static int command(int dev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int command(int dev, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (write(dev, line, n) != n) {
        fprintf(stderr, "'%s': %s\n", line, strerror(errno));
        return -1;
    }
    return 0;
}

// The source file for a cookie key (not NUL-terminated; cookie_size bytes), or NULL.
static const char *source_of(const char *cookie, uint32_t size) {
    for (int i = 0; i < nsources; i++) {
        const char *eq = strchr(source_args[i], '=');
        if (eq && (size_t)(eq - source_args[i]) == size && memcmp(source_args[i], cookie, size) == 0) {
            return eq + 1;
        }
    }
    return NULL;
}

static void on_open(int dev, struct cachefiles_msg *msg) {
    struct cachefiles_open *open_msg = (void *)msg->data;
    const char *cookie = (const char *)open_msg->data + open_msg->volume_key_size;
    const char *path = source_of(cookie, open_msg->cookie_key_size);
    int src = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (src < 0 || fstat(src, &st) < 0 || msg->object_id >= MAX_OBJECTS) {
        int err = path ? (msg->object_id >= MAX_OBJECTS ? EMFILE : errno) : ENOENT;
        if (src >= 0) close(src);
        command(dev, "copen %u,-%d", msg->msg_id, err);
        close(open_msg->fd);
        return;
    }
    objects[msg->object_id].anon_fd = open_msg->fd;
    objects[msg->object_id].src_fd = src;
    command(dev, "copen %u,%lld", msg->msg_id, (long long)st.st_size);
}

static void on_read(struct cachefiles_msg *msg, char *buf) {
    struct cachefiles_read *read_msg = (void *)msg->data;
    if (msg->object_id >= MAX_OBJECTS || objects[msg->object_id].anon_fd < 0) {
        return; // nothing to complete it on
    }
    struct object *o = &objects[msg->object_id];
    uint64_t off = read_msg->off & ~(uint64_t)(PAGE - 1);
    uint64_t end = read_msg->off + read_msg->len;
    while (off < end) {
        uint64_t want = end - off > MAX_READ ? MAX_READ : end - off;
        ssize_t n = pread(o->src_fd, buf, want, off);
        if (n <= 0) break;
        // Direct I/O on the cache file writes whole pages: zero the tail of the last one.
        size_t whole = ((size_t)n + PAGE - 1) & ~(size_t)(PAGE - 1);
        memset(buf + n, 0, whole - n);
        if (pwrite(o->anon_fd, buf, whole, off) != (ssize_t)whole) {
            fprintf(stderr, "pwrite object %u at %llu: %s\n", msg->object_id, (unsigned long long)off,
                    strerror(errno));
            break;
        }
        off += n;
    }
    if (ioctl(o->anon_fd, CACHEFILES_IOC_READ_COMPLETE, msg->msg_id) < 0) {
        fprintf(stderr, "READ_COMPLETE %u: %s\n", msg->msg_id, strerror(errno));
    }
}

static void on_close(struct cachefiles_msg *msg) {
    if (msg->object_id < MAX_OBJECTS && objects[msg->object_id].anon_fd >= 0) {
        close(objects[msg->object_id].anon_fd);
        close(objects[msg->object_id].src_fd);
        objects[msg->object_id].anon_fd = -1;
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: cachefiles-copy CACHEDIR TAG COOKIE=SOURCE...\n");
        return 2;
    }
    source_args = argv + 3;
    nsources = argc - 3;
    for (int i = 0; i < MAX_OBJECTS; i++) objects[i].anon_fd = -1;
    int dev = open("/dev/cachefiles", O_RDWR | O_CLOEXEC);
    if (dev < 0) { perror("/dev/cachefiles"); return 1; }
    if (command(dev, "dir %s", argv[1]) || command(dev, "tag %s", argv[2]) || command(dev, "bind ondemand")) {
        return 1;
    }
    char *buf;
    if (posix_memalign((void **)&buf, PAGE, MAX_READ + PAGE)) { perror("posix_memalign"); return 1; }
    fprintf(stderr, "ready\n");
    char msgbuf[CACHEFILES_MSG_MAX_SIZE];
    long reads = 0;
    for (;;) {
        struct pollfd pfd = {.fd = dev, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }
        ssize_t n = read(dev, msgbuf, sizeof msgbuf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            perror("read /dev/cachefiles");
            return 1;
        }
        if (n < (ssize_t)sizeof(struct cachefiles_msg)) continue;
        struct cachefiles_msg *msg = (void *)msgbuf;
        switch (msg->opcode) {
        case CACHEFILES_OP_OPEN: on_open(dev, msg); break;
        case CACHEFILES_OP_READ: on_read(msg, buf); reads++; break;
        case CACHEFILES_OP_CLOSE: on_close(msg); break;
        }
    }
}
