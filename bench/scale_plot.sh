#!/usr/bin/env bash
# Draws bench/scale.sh's rows (OUT=FILE) as a PNG with gnuplot: seconds to
# all RUNNING and to all serving against N (left axis), and memory per
# instance of the executors in MiB (right axis).
#
# Usage: bench/scale_plot.sh ROWS PNG
set -euo pipefail
rows=$1
png=$2
command -v gnuplot >/dev/null || { echo "gnuplot is needed (Debian: gnuplot-nox)" >&2; exit 1; }
gnuplot <<PLOT
set terminal pngcairo size 900,520 font ",11" noenhanced
set output "$png"
set title "mesos-launch: N instances of the classic web server on one 2-core machine"
set xlabel "instances (N)"
set ylabel "seconds from start"
set y2label "executor RSS per instance (MiB)"
set logscale x
set xtics (1, 10, 100, 300, 1000)
set ytics nomirror
set y2tics
set y2range [0:8]
set yrange [0:*]
set key top left
set grid
plot "$rows" using 1:2 with linespoints lw 2 title "all RUNNING", \
     "$rows" using 1:3 with linespoints lw 2 title "all answering 200", \
     "$rows" using 1:9 with linespoints lw 2 title "stop (all gone)", \
     "$rows" using 1:(\$5/1024) axes x1y2 with linespoints dt 2 title "executor MiB per instance"
PLOT
echo "wrote $png"
