# Latency percentile spectrum: one line per series, from mmt_pd_write_spectrum's
# data (a block per series: x = 1/(1-p), p, latency in ns). The x axis is
# 1/(1-p) on a log scale, so each tail "nine" gets the same room.
# Placeholders (filled by mmtorture plot): @DATA@ @TITLE@ (quoted strings),
# @NSERIES@ (number of blocks).
set title '@TITLE@'
set logscale xy
set xtics ('p50' 2, 'p90' 10, 'p99' 100, 'p99.9' 1000, 'p99.99' 1e4, 'p99.999' 1e5, 'p99.9999' 1e6)
set mxtics 10
set xlabel 'percentile'
set ylabel 'latency'
set format y '%.0s %cs'
set grid xtics ytics mytics lc rgb '#dddddd'
set key top left box opaque
set xrange [1:*]
plot for [i=0:@NSERIES@-1] '@DATA@' index i using 1:($3*1e-9) with lines lw 2 title columnheader(1)
