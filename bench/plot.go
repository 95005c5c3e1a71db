package bench

import (
	"errors"
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ErrNoTimeline is returned by WritePlot for a report without a timeline
// (nothing completed in the measured window).
var ErrNoTimeline = errors.New("bench: report has no timeline to plot")

// WritePlot draws the timeline as SVG with gonum/plot: request-time
// percentiles (p50, p90, p99, max) on top, succeeded requests per second
// below, both over the seconds of the measured window.
func (r *Report) WritePlot(w io.Writer) error {
	plots, err := r.buildPlots()
	if err != nil {
		return err
	}
	c := vgsvg.New(20*vg.Centimeter, 16*vg.Centimeter)
	drawPlots(draw.New(c), plots)
	_, err = c.WriteTo(w)
	return err
}

func (r *Report) buildPlots() ([][]*plot.Plot, error) {
	if len(r.Timeline) == 0 {
		return nil, ErrNoTimeline
	}
	lat := plot.New()
	lat.Title.Text = fmt.Sprintf("%s %s: request time", r.Mode, r.Target)
	lat.X.Label.Text = "second"
	lat.Y.Label.Text = "ms (log)"
	// Latency tails span decades: on a log scale p50 and max both read.
	lat.Y.Scale = plot.LogScale{}
	lat.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	lat.Legend.Top = true
	lat.Legend.Left = true
	lat.Add(plotter.NewGrid())

	series := []struct {
		name string
		p    float64
		col  color.RGBA
	}{
		{"p50", 50, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}},
		{"p90", 90, color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}},
		{"p99", 99, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}},
		{"max", 100, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}},
	}
	for _, s := range series {
		pts := make(plotter.XYs, 0, len(r.Timeline))
		for _, sec := range r.Timeline {
			if sec.Latency == nil || sec.Latency.Count() == 0 {
				continue
			}
			ms := max(float64(sec.Latency.Percentile(s.p).Microseconds())/1000, 0.001)
			pts = append(pts, plotter.XY{X: float64(sec.Index), Y: ms})
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = s.col
		l.Width = vg.Points(1.2)
		lat.Add(l)
		lat.Legend.Add(s.name, l)
	}

	thr := plot.New()
	thr.Title.Text = "throughput"
	thr.X.Label.Text = "second"
	thr.Y.Label.Text = "succeeded req/s"
	thr.Add(plotter.NewGrid())
	pts := make(plotter.XYs, len(r.Timeline))
	for i, sec := range r.Timeline {
		pts[i] = plotter.XY{X: float64(sec.Index), Y: float64(sec.Succeeded)}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color = color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}
	l.Width = vg.Points(1.2)
	thr.Add(l)
	thr.Y.Min = 0
	return [][]*plot.Plot{{lat}, {thr}}, nil
}

// drawPlots lays the plots out one above the other on dc.
func drawPlots(dc draw.Canvas, plots [][]*plot.Plot) {
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	cv := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(cv[i][0])
	}
}
