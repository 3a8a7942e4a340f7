# Failure matrix, from mmt_pd_write_matrix's data (x, y, colour, label,
# workload, series): a cell per workload and series, coloured by the worst
# status of its jobs (FAIL, error, pass, skip; white where nothing ran).
# Placeholders: @DATA@ @TITLE@ (quoted strings), @NX@ (workloads), @NY@ (series).
set title '@TITLE@'
set xrange [-0.5:@NX@-0.5]
set yrange [@NY@-0.5:-0.5]
set style fill solid 1.0 border rgb '#ffffff'
set xtics nomirror rotate by -30
set ytics nomirror
set tics scale 0
unset key
plot '@DATA@' using 1:2:(0.5):(0.5):3:xtic(5):ytic(6) with boxxyerror lc rgb variable, \
     '' using 1:2:4 with labels
