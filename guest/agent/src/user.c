/* User switching without NSS (a static binary has none): /etc/passwd and /etc/group parsed here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static int parse_id(const char *s, unsigned long *out) {
    if (!*s) {
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 0xfffffffeUL || *s == '-' || *s == '+') {
        return -1;
    }
    *out = v;
    return 0;
}

/* Splits a passwd/group line in place into at most max colon-separated fields; returns the count. */
static int split(char *line, char **f, int max) {
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++) {
        if (*p == ':') {
            *p = 0;
            f[n++] = p + 1;
        }
    }
    char *nl = strchr(f[n - 1], '\n');
    if (nl) {
        *nl = 0;
    }
    return n;
}

static int in_members(char *members, const char *name) {
    for (char *tok = strtok(members, ","); tok; tok = strtok(NULL, ",")) {
        if (strcmp(tok, name) == 0) {
            return 1;
        }
    }
    return 0;
}

int user_resolve(const char *spec, const char *passwd_path, const char *group_path, struct user_ids *u,
                 char *err, size_t errlen) {
    memset(u, 0, sizeof *u);
    if (!spec[0]) {
        return 0;
    }
    const char *colon = strchr(spec, ':');
    unsigned long uid, gid;
    if (spec[0] >= '0' && spec[0] <= '9') {
        char ubuf[32];
        size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
        if (ulen >= sizeof ubuf) {
            goto bad_numeric;
        }
        memcpy(ubuf, spec, ulen);
        ubuf[ulen] = 0;
        if (parse_id(ubuf, &uid)) {
            goto bad_numeric;
        }
        gid = uid;
        if (colon && parse_id(colon + 1, &gid)) {
            goto bad_numeric;
        }
        u->uid = (uid_t)uid;
        u->gid = (gid_t)gid;
        u->ngroups = 0;
        u->set = 1;
        return 0;
    bad_numeric:
        snprintf(err, errlen, "user \"%s\" is neither a name nor uid or uid:gid in decimal (PROTOCOL.md §6.1)",
                 spec);
        return PA_E_USER_UNKNOWN;
    }
    FILE *f = fopen(passwd_path, "re");
    if (!f) {
        snprintf(err, errlen, "user \"%s\": cannot read %s: %s; pass uid:gid instead", spec, passwd_path,
                 strerror(errno));
        return PA_E_USER_UNKNOWN;
    }
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char *fld[7];
        if (split(line, fld, 7) < 4 || strcmp(fld[0], spec) != 0) {
            continue;
        }
        if (parse_id(fld[2], &uid) || parse_id(fld[3], &gid)) {
            continue;
        }
        found = 1;
        break;
    }
    fclose(f);
    if (!found) {
        snprintf(err, errlen, "user \"%s\" is not in %s; create it in the image or pass uid:gid", spec,
                 passwd_path);
        return PA_E_USER_UNKNOWN;
    }
    u->uid = (uid_t)uid;
    u->gid = (gid_t)gid;
    u->groups[u->ngroups++] = (gid_t)gid;
    u->set = 1;
    f = fopen(group_path, "re");
    if (f) {
        while (fgets(line, sizeof line, f) && u->ngroups < (int)(sizeof u->groups / sizeof u->groups[0])) {
            char *fld[4];
            unsigned long g;
            if (split(line, fld, 4) < 4 || parse_id(fld[2], &g) || g == gid) {
                continue;
            }
            if (in_members(fld[3], spec)) {
                u->groups[u->ngroups++] = (gid_t)g;
            }
        }
        fclose(f);
    }
    return 0;
}
