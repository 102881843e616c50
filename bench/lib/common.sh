# Shared by the bench/ scripts: free ports, one wrk run, rounds and their medians. Sourced, not run.
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A wrk script for one SigV4-signed request: sign ENDPOINT CREDFILE|- SERVICE query BODY | json TARGET BODY_JSON
sign() { python3 "$(dirname "${BASH_SOURCE[0]}")/signed_request.py" "$@"; }

once() { # $1 url, $2 script or "", $3 connections -> "rps p50 p99 non2xx"
  local args=(-t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${DURATION}s" --latency)
  [ -n "$2" ] && args+=(-s "$2")
  wrk "${args[@]}" "$1" | awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {n=$NF}
                               END {print r, p50, p99, (n == "" ? 0 : n)}'
}

declare -A RESULTS
measure() { # $1 key, $2 url, $3 script, $4 connections: appends one round
  RESULTS[$1]+="$(once "$2" "$3" "$4")"$'\n'
}

report() { # $1 label, $2 key, $3 connections: the median round by req/s
  local row; row=$(printf '%s' "${RESULTS[$2]}" | sort -n -k1 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)')
  set -- "$1" "$3" $row
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

median_rps() { # $1 key -> the median req/s
  printf '%s' "${RESULTS[$1]}" | sort -n -k1 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) {print $1}'
}
