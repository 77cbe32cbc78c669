#!/bin/bash
# Side-by-side throughput: auditstream's audit2json next to the field's parsers
# from ../shared/peerbench, on the same log, interleaved in one run.
#
#   benches/compare.sh [LOG ...]      default: /tmp/corpus-large/audit-raw.log
#
# Needs the peers built as ../shared/peerbench/README.md says (binaries in
# $CARGO_TARGET_DIR of peerbench, default /tmp/peerbench-target). REPS=3 by
# default; each figure is the median wall clock of the whole process.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-3}
PT=${PEER_TARGET:-/tmp/peerbench-target}
PB=$PT/release/peerbench
AB=$PT/auparse_bench
[ $# -gt 0 ] || set -- /tmp/corpus-large/audit-raw.log
cargo build --release --quiet --example audit2json --manifest-path "$HERE/Cargo.toml"
A2J=$HERE/target/release/examples/audit2json
RES=$(mktemp -d /tmp/compare.XXXXXX)
trap 'rm -rf "$RES"' EXIT
echo "# $(date -u +%FT%TZ) $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg), $(rustc --version)"
for LOG in "$@"; do
  size=$(stat -c %s "$LOG"); cat "$LOG" > /dev/null
  eoelog=${LOG%.log}.from-netlink.log
  names=(a2j_stats a2j_json a2j_records a2j_records_stats lap laurel_nojson laurel_json)
  [ -x "$AB" ] && names+=(auparse)
  [ -f "$eoelog" ] && names+=(laurel_eoe_json)
  for _ in $(seq "$REPS"); do
    for n in "${names[@]}"; do
      case $n in
        a2j_stats) cmd=("$A2J" --stats "$LOG") ;;
        a2j_json) cmd=("$A2J" "$LOG") ;;
        a2j_records) cmd=("$A2J" --records "$LOG") ;;
        a2j_records_stats) cmd=("$A2J" --records --stats "$LOG") ;;
        lap) cmd=("$PB" lap "$LOG") ;;
        laurel_nojson) cmd=("$PB" laurel "$LOG" nojson) ;;
        laurel_json) cmd=("$PB" laurel "$LOG" json) ;;
        laurel_eoe_json) cmd=("$PB" laurel "$eoelog" json) ;;
        auparse) cmd=("$AB" "$LOG" raw) ;;
      esac
      t0=$(date +%s%N)
      out=/dev/null; case $n in a2j_*) ;; *) out=$RES/$n.err.out ;; esac
      /usr/bin/time -f '%M' -o "$RES/$n.rss" "${cmd[@]}" > "$out" 2> "$RES/$n.err"
      [ "$out" = /dev/null ] || cat "$out" >> "$RES/$n.err"
      t1=$(date +%s%N)
      echo $(( (t1 - t0) / 1000 )) >> "$RES/$n.us"
      cat "$RES/$n.rss" >> "$RES/$n.rsslist"
    done
  done
  echo "## $LOG ($size bytes; median of $REPS)"
  printf '%-40s %9s %11s %8s %9s\n' tool MB/s events/s secs maxRSS
  for n in "${names[@]}"; do
    us=$(sort -n "$RES/$n.us" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    rss=$(sort -n "$RES/$n.rsslist" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    ev=$(grep -o 'events[= ][0-9]*' "$RES/$n.err" | tail -1 | grep -o '[0-9]*$' || true)
    bytes=$size; [ $n = laurel_eoe_json ] && bytes=$(stat -c %s "$eoelog")
    label=$n
    case $n in
      a2j_stats) label="auditstream audit2json --stats" ;;
      a2j_json) label="auditstream audit2json (JSON)" ;;
      a2j_records) label="auditstream audit2json --records" ;;
      a2j_records_stats) label="auditstream --records --stats (decode)" ;;
      lap) label="linux-audit-parser (parse only)" ;;
      laurel_nojson) label="laurel Coalesce (no JSON)" ;;
      laurel_json) label="laurel Coalesce + JSON" ;;
      laurel_eoe_json) label="laurel + JSON [EOE text]" ;;
      auparse) label="libauparse get_field_str" ;;
    esac
    printf '%-40s %9.1f %11s %8.3f %8sK\n' "$label" "$(awk -v b=$bytes -v u=$us 'BEGIN{print b/u}')" \
      "$( [ -n "$ev" ] && awk -v e=$ev -v u=$us 'BEGIN{printf "%.0f", e*1e6/u}' || echo -)" \
      "$(awk -v u=$us 'BEGIN{print u/1e6}')" "$rss"
    rm -f "$RES/$n.us" "$RES/$n.rsslist"
  done
done
