# Reading the reports a VM suite wrote under $REPORTS/RUN/report.json
# (vm.bats, matrix.bats, preinstalled.bats): one scenario's status, one check's value, or
# every value of one check in order, comma-joined.
status_of() { jq -r --arg s "$2" '.runs[0].scenarios[] | select(.name==$s) | .status' "$REPORTS/$1/report.json"; }
got_of() { jq -r --arg s "$2" --arg w "$3" '.runs[0].scenarios[] | select(.name==$s) | .checks[] | select(.what==$w) | .got' "$REPORTS/$1/report.json"; }
gots_of() { jq -r --arg s "$2" --arg w "$3" '.runs[0].scenarios[] | select(.name==$s) | [.checks[] | select(.what==$w) | .got] | join(",")' "$REPORTS/$1/report.json"; }
