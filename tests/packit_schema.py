"""packit_schema.py PACKIT_YAML REPO: an offline check of a .packit.yaml.

Debian has no Packit client to run `packit validate-config` with (its
"packit" package is a packet generator), and the service is not reachable
from here, so this checks what Packit's own schema checks for the keys the
file uses: known top-level keys, job and trigger names, targets that are
Fedora release names or Packit's aliases for them, and paths that exist.
It also checks what this project needs: a Copr build and a Testing Farm
(tmt) job on the same targets, the two newest Fedora releases. Unknown keys
are errors, as in Packit's schema. Exit 0 valid, 1 not (reasons on stderr).
"""
import os
import re
import sys

import yaml

TOP = {
    "specfile_path", "upstream_package_name", "downstream_package_name", "upstream_tag_template",
    "srpm_build_deps", "actions", "jobs", "files_to_sync", "upstream_project_url", "issue_repository",
    "copy_upstream_release_description", "notifications", "sync_changelog", "merge_pr_in_ci",
}
ACTIONS = {
    "post-upstream-clone", "get-current-version", "create-patches", "create-archive", "pre-sync",
    "fix-spec-file", "changelog-entry", "commit-message",
}
JOBS = {"copr_build", "tests", "upstream_koji_build", "propose_downstream", "pull_from_upstream",
        "koji_build", "bodhi_update", "vm_image_build"}
TRIGGERS = {"pull_request", "commit", "release"}
JOB_KEYS = {"job", "trigger", "targets", "branch", "identifier", "skip_build", "fmf_path", "tmt_plan",
            "owner", "project", "preserve_project", "manual_trigger", "labels", "env"}
# Packit's aliases: fedora-stable is the maintained releases (the two newest);
# fedora-latest-stable the newest one alone.
TWO_NEWEST = [["fedora-stable"]]
TARGET = re.compile(r"^fedora-(stable|latest-stable|latest|rawhide|development|all|[0-9]+)(-[a-z0-9_]+)?$")


def check(path, repo):
    errors = []
    with open(path) as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict):
        return ["not a mapping"]
    errors += ["unknown top-level key %s" % k for k in sorted(set(config) - TOP)]
    spec = config.get("specfile_path")
    if not spec or not os.path.isfile(os.path.join(repo, spec)):
        errors.append("specfile_path %r: no such file in the repository" % spec)
    for name, commands in (config.get("actions") or {}).items():
        if name not in ACTIONS:
            errors.append("unknown action %s" % name)
        if not isinstance(commands, (str, list)):
            errors.append("action %s: not a command or a list of commands" % name)
    jobs = config.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        return errors + ["jobs: not a non-empty list"]
    targets = {}
    for i, job in enumerate(jobs):
        where = "jobs[%d]" % i
        if not isinstance(job, dict):
            errors.append("%s: not a mapping" % where)
            continue
        errors += ["%s: unknown key %s" % (where, k) for k in sorted(set(job) - JOB_KEYS)]
        if job.get("job") not in JOBS:
            errors.append("%s: unknown job %r" % (where, job.get("job")))
        if job.get("trigger") not in TRIGGERS:
            errors.append("%s: unknown trigger %r" % (where, job.get("trigger")))
        t = job.get("targets")
        if not isinstance(t, list) or not t:
            errors.append("%s: targets: not a non-empty list" % where)
            continue
        errors += ["%s: target %r is no Fedora release or alias" % (where, x) for x in t
                   if not isinstance(x, str) or not TARGET.match(x)]
        targets[job.get("job")] = t
    for needed in ("copr_build", "tests"):
        if needed not in targets:
            errors.append("no %s job" % needed)
        elif targets[needed] not in TWO_NEWEST:
            errors.append("%s: targets %r are not the two newest Fedora releases" % (needed, targets[needed]))
    fmf = os.path.join(repo, ".fmf", "version")
    if "tests" in targets and not os.path.isfile(fmf):
        errors.append("a tests job but no fmf tree (.fmf/version) for tmt")
    return errors


def main():
    if len(sys.argv) != 3:
        print("usage: packit_schema.py PACKIT_YAML REPO", file=sys.stderr)
        return 2
    errors = check(sys.argv[1], sys.argv[2])
    for e in errors:
        print("%s: %s" % (sys.argv[1], e), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
