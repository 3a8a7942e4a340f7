#!/bin/bash
# mmtorture html on two short real runs, opened in a real headless browser
# (Debian's chromium): the page loads from the file with no external resource and
# no console message, every plot decodes and is laid out with a non-zero size,
# the screenshot is not blank, and the page holds each run's reproducibility
# record and the failure matrix.
. "$(dirname "$0")/lib.sh"
export MMTORTURE_PLOTS=$SRCDIR/plots
CHROMIUM=${CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null ||
	{ echo "SKIP: no $CHROMIUM (apt-get install chromium; ./bootstrap.sh installs it)"; exit 77; }

for tag in alpha beta; do
	"$M" run -q -w thp_fork:size=16M -w vma_iter -d 3s --tag $tag --seed 9 >"$T/run-$tag" 2>&1 ||
		{ cat "$T/run-$tag"; fail "run $tag failed"; }
done
rep=$T/report
"$M" html tag=alpha tag=beta --out "$rep" --format svg >"$T/out" 2>&1
expect_eq "html exit" $? 0
expect_eq "html prints" "$(tail -1 "$T/out")" "$rep/index.html"
page=$rep/index.html
[ -s "$page" ] || { fail "no $page"; done_test; }

# Self-contained: every src a data: URI, nothing fetched, no script needed.
expect_eq "non-data src" "$(grep -Eo '(src|href)="[^"#][^"]*"' "$page" | grep -v '^src="data:' | wc -l)" 0
expect_eq "scripts" "$(grep -ci '<script' "$page")" 0
expect_eq "remote URLs" "$(grep -Eoc 'https?://|<link ' "$page")" 0
nplots=$(ls "$rep"/*.svg | wc -l)
expect_eq "inlined plots" "$(grep -o '<img ' "$page" | wc -l)" "$nplots"
for f in "Series" "Failure matrix" "Throughput over time" "Latency spectra" "Runs" \
	"tag=alpha" "tag=beta" "config hash" "cmdline" "THP" "seed" "command" "no failures recorded" \
	"$(q "select config_hash from runs where id = 1")" "$(q "select kernel_release from runs where id = 1")"; do
	grep -qF -- "$f" "$page" || fail "page lacks '$f'"
done

# Chromium, bounded: its own process group, killed by that id at the deadline.
browse() { # stdout-file stderr-file args...
	local out=$1 err=$2 pid i=0
	shift 2
	setsid "$CHROMIUM" --headless --disable-gpu --no-sandbox --user-data-dir="$T/chrome" \
		--enable-logging=stderr --v=0 --virtual-time-budget=5000 "$@" >"$out" 2>"$err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 900 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt 900 ] || fail "$CHROMIUM still running after 90 s: killed"
	kill -KILL -- "-$pid" 2>/dev/null
	wait "$pid"
}

# The page as it is: loads, and no console message (it has no script, so any
# would be the browser's: a blocked or failed resource).
browse "$T/dom" "$T/console" --dump-dom "file://$page"
grep -q '<section id="runs">' "$T/dom" || fail "the DOM dump lacks the runs section"
grep 'CONSOLE' "$T/console" && fail "console messages while loading the page"

# A copy with a probe appended: each image decoded and laid out with a size.
sed 's|</body>|<script>window.addEventListener("load", function () {\
var o = []; document.querySelectorAll("img").forEach(function (im) {\
var r = im.getBoundingClientRect();\
o.push((im.complete \&\& im.naturalWidth > 0 \&\& r.width > 0 \&\& r.height > 0 ? "ok " : "BAD ") +\
im.naturalWidth + "x" + im.naturalHeight + " " + Math.round(r.width) + "x" + Math.round(r.height));\
}); var p = document.createElement("pre"); p.id = "probe"; p.textContent = o.join("\\n");\
document.body.appendChild(p); });</script></body>|' "$page" >"$rep/probe.html"
browse "$T/probe" "$T/probe.err" --dump-dom "file://$rep/probe.html"
sed -n '/<pre id="probe">/,/<\/pre>/p' "$T/probe" >"$T/sizes"
expect_eq "images laid out" "$(grep -c '^\(<pre id="probe">\)\?ok ' "$T/sizes")" "$nplots"
grep -q BAD "$T/sizes" && fail "images that did not render: $(grep BAD "$T/sizes")"
grep 'CONSOLE' "$T/probe.err" && fail "console messages from the probe"

# What a person sees: the screenshot is not blank (many colours, much ink).
browse "$T/shot.out" "$T/shot.err" --window-size=1280,2400 --screenshot="$T/shot.png" "file://$page"
[ -s "$T/shot.png" ] || fail "no screenshot"
python3 - "$T/shot.png" <<'EOF' || fail "the screenshot is blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
	n, kind = struct.unpack(">I4s", data[pos:pos + 8])
	body = data[pos + 8:pos + 8 + n]
	if kind == b"IHDR":
		w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
		bpp = {2: 3, 6: 4}[ctype]
		assert depth == 8
	elif kind == b"IDAT":
		idat += body
	pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, ink = bytearray(stride), set(), 0
for y in range(h):
	f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
	for x in range(stride):
		a = line[x - bpp] if x >= bpp else 0
		b, c = prev[x], prev[x - bpp] if x >= bpp else 0
		p = a + b - c
		pred = [0, a, b, (a + b) // 2,
			a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c][f]
		line[x] = (line[x] + pred) & 255
	for x in range(0, stride, bpp * 4):
		px = bytes(line[x:x + 3])
		colours.add(px)
		ink += px != b"\xff\xff\xff"
	prev = line
total = h * ((w + 3) // 4)
print("screenshot %dx%d: %d colours, %.1f%% not white" % (w, h, len(colours), 100.0 * ink / total))
sys.exit(0 if len(colours) > 20 and ink > total * 0.03 else 1)
EOF
done_test
