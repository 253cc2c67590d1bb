# Sourced by the benchmark scripts. `wait_idle PID WINDOW_SECONDS MAX_TICKS LOOKS` waits until
# the process used fewer than MAX_TICKS clock ticks of CPU (1/100 s each) in one window, at
# most LOOKS windows, and prints how many seconds it waited.
wait_idle() {
  local pid=$1 window=$2 max_ticks=$3 looks=$4 start before after
  start=$(date +%s)
  ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  for _ in $(seq "$looks"); do
    before=$(ticks); sleep "$window"; after=$(ticks)
    [ $(( after - before )) -lt "$max_ticks" ] && break
  done
  echo $(( $(date +%s) - start ))
}
