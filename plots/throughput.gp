# Throughput per series with confidence intervals, from mmt_pd_write_throughput's
# data (row, series, mean, ci_lo, ci_hi, n, median): a bar at the mean of the
# per-interval ops/s, its 95% confidence interval, and the number of intervals.
# Placeholders: @DATA@ @TITLE@ (quoted strings), @NROWS@.
set title '@TITLE@'
set style fill solid 0.6 border -1
set boxwidth 0.6
set xrange [-0.6:@NROWS@-0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set ylabel 'ops/s per interval (mean, 95% CI)'
set grid ytics lc rgb '#dddddd'
set xtics nomirror rotate by -20
unset key
plot '@DATA@' using 1:3:xtic(2) with boxes lc rgb '#5c8fd6', \
     '' using 1:3:4:5 with yerrorbars lc rgb '#000000' lw 1.5 pt 0, \
     '' using 1:5:(sprintf('n=%d', $6)) with labels offset 0,0.8
