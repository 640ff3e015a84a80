/* Where this machine trusts a source port below 1024 for NFS: exports with
 * sec=sys and `secure` to an address of its own (its local users can now
 * send such requests), and NFS mounts with sec=sys (its users can now send
 * the server requests from a reserved port with any uid they claim). The
 * nfs-secure-export scenario measures the first (docs/evidence.md). */
#ifndef PORTCHECK_NFS_TRUST_H
#define PORTCHECK_NFS_TRUST_H

#include <stddef.h>

#define NFS_TRUST_MAX 32

enum nfs_trust_kind { NFS_TRUST_EXPORT, NFS_TRUST_MOUNT };

struct nfs_trust {
    enum nfs_trust_kind kind;
    char where[320]; /* FILE:LINE */
    char what[320];  /* "/srv 127.0.0.1(ro)" or "server:/srv on /mnt (nfs4)" */
};

struct nfs_trust_scan {
    size_t n;
    struct nfs_trust v[NFS_TRUST_MAX];
};

/* Reads ROOT/etc/exports, ROOT/etc/exports.d/ *.exports, ROOT/etc/fstab
 * and ROOT/proc/mounts (each that exists). hostname: this machine's name,
 * which an export to it also reaches (NULL or "" when unknown). */
void nfs_trust_scan(const char *root, const char *hostname, struct nfs_trust_scan *out);

#endif
