# Shared by the bench scripts: kernel counters, rates, medians over rounds, ratios,
# and a uevent watcher for the hotplug ones. Sourced; uses $T (a scratch dir).

vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
ns() { date +%s%N; }
rate() { awk -v c="$1" -v e="$2" 'BEGIN { printf "%.1f", c / (e / 1e9) }'; } # count ns
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
med() { awk -v c="$1" '{ print $c }' "${2:-$T/r}" | median; } # column [file]
# ROUNDS rounds of workload, bare and stressng (the script's functions), back to
# back, one "w b s" line each in $T/r; units names what each prints.
rounds() { # units
	local i w b s
	: >"$T/r"
	for i in $(seq "$ROUNDS"); do
		w=$(workload)
		b=$(bare)
		s=$(stressng)
		echo "$w $b $s" >>"$T/r"
		echo "  round $i: $1  workload $w  bare $b  stress-ng $s"
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "inf (%s/0)", a }'; }

# The kernel's own offline@/online@ uevents under a sysfs path, for all tools alike.
uev_start() { # path
	rm -f "$T/stop"
	python3 "$(dirname "${BASH_SOURCE[0]}")/uevents.py" "$1" "$T/stop" >"$T/uev" &
	UEV=$!
	while ! grep -q ready "$T/uev" 2>/dev/null; do sleep 0.05; done
}
uev_stop() { # -> "offline online"
	touch "$T/stop"
	# Called from $(...): the listener is not this subshell's child to wait for.
	while [ "$(wc -l <"$T/uev")" -lt 2 ]; do sleep 0.05; done
	tail -1 "$T/uev" | awk '{ print $1, $2; if ($3 > 0) print "uevents lost" > "/dev/stderr" }'
}
