# Throughput over time, from mmt_pd_write_timeline's data (a block per job:
# t at the interval's end, ops/s in that interval). A stall shows as a dip.
# Placeholders: @DATA@ @TITLE@ (quoted strings), @NSERIES@ (number of jobs).
set title '@TITLE@'
set xlabel 'time in job (s)'
set ylabel 'ops/s'
set yrange [0:*]
set grid lc rgb '#dddddd'
set key outside bottom center horizontal
plot for [i=0:@NSERIES@-1] '@DATA@' index i using 1:2 with linespoints pt 7 ps 0.5 lw 1.5 title columnheader(1)
