// serial-http-fill — the C probe's strategy over HTTP, for benchmark P2: fills holes of a sparse blob file
// answering fanotify pre-content (FAN_PRE_ACCESS) events, one event at a time, each with ONE synchronous HTTP
// range GET of the event's range (start aligned down to 64 KiB, as the probe does), written through the event's
// fd. One keep-alive connection. No parallelism, no read-ahead: the floor a latency-hiding daemon must beat.
//
// Usage: serial-http-fill SPARSE URL   (root; Linux 6.14+; prints "ready" on stderr once marked)
// Build: gcc -O2 -o serial-http-fill serial-http-fill.c -lcurl
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif
#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6
#endif
#define ALIGN 65536u

struct range_info {
    struct fanotify_event_info_header hdr;
    uint32_t pad;
    uint64_t offset;
    uint64_t count;
};

struct sink {
    char *data;
    size_t len, cap;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg) {
    struct sink *s = arg;
    size_t n = size * nmemb;
    if (s->len + n > s->cap) {
        return 0; // more than asked for: fail the transfer
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    return n;
}

// Fetches [start, end) of the URL into s; 0 when exactly those bytes came.
static int fetch(CURL *curl, uint64_t start, uint64_t end, struct sink *s) {
    char range[64];
    if (end - start > s->cap) {
        free(s->data);
        s->cap = end - start;
        s->data = malloc(s->cap);
        if (!s->data) {
            s->cap = 0;
            return -1;
        }
    }
    s->len = 0;
    snprintf(range, sizeof range, "%" PRIu64 "-%" PRIu64, start, end - 1);
    curl_easy_setopt(curl, CURLOPT_RANGE, range);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 206 || s->len != end - start) {
        fprintf(stderr, "GET %s: %s, status %ld, %zu bytes\n", range, curl_easy_strerror(rc), status, s->len);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: serial-http-fill SPARSE URL\n");
        return 2;
    }
    const char *sparse = argv[1], *url = argv[2];
    int fan = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC, O_RDWR | O_LARGEFILE);
    if (fan < 0) { perror("fanotify_init"); return 1; }
    if (fanotify_mark(fan, FAN_MARK_ADD, FAN_PRE_ACCESS, AT_FDCWD, sparse) < 0) { perror("fanotify_mark"); return 1; }
    off_t size = lseek(open(sparse, O_RDONLY), 0, SEEK_END);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    struct sink sink = {0};
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    fprintf(stderr, "ready\n");
    char buf[8192];
    long events = 0, requests = 0;
    for (;;) {
        ssize_t n = read(fan, buf, sizeof buf);
        if (n <= 0) { perror("read"); break; }
        for (struct fanotify_event_metadata *m = (void *)buf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
            uint64_t off = 0, cnt = 0;
            int have = 0, ok = 1;
            for (char *p = (char *)(m + 1); p < (char *)m + m->event_len;) {
                struct fanotify_event_info_header *h = (void *)p;
                if (h->info_type == FAN_EVENT_INFO_TYPE_RANGE) {
                    struct range_info *r = (void *)p;
                    off = r->offset;
                    cnt = r->count;
                    have = 1;
                }
                if (!h->len) break;
                p += h->len;
            }
            events++;
            if (have && cnt > 0 && off < (uint64_t)size) {
                uint64_t start = off & ~(uint64_t)(ALIGN - 1);
                uint64_t end = off + cnt > (uint64_t)size ? (uint64_t)size : off + cnt;
                requests++;
                ok = fetch(curl, start, end, &sink) == 0 &&
                     pwrite(m->fd, sink.data, sink.len, start) == (ssize_t)sink.len;
            }
            struct fanotify_response resp = {.fd = m->fd, .response = ok ? FAN_ALLOW : FAN_DENY};
            if (write(fan, &resp, sizeof resp) != sizeof resp) perror("response");
            close(m->fd);
        }
    }
    fprintf(stderr, "%ld events, %ld requests\n", events, requests);
    return 0;
}
