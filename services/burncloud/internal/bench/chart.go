package bench

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// targetColors keep a target's colour the same on every chart.
var targetColors = map[string]color.RGBA{
	targetDirect: {R: 0x55, G: 0x55, B: 0x55, A: 0xff},
	targetProxy:  {R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	targetRouter: {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

// writeCharts draws, for each workload swept at two rates or more, p50 and
// p99 latency (whole, as the client saw it) against offered rate for the
// three targets, side by side in one PNG. It returns the file names.
func writeCharts(r *Report, dir string) ([]string, error) {
	var names []string
	for _, w := range []workload{wlJSON1K, wlJSON20ms, wlJSON10K} {
		if len(sweepRates(r.Sweeps, w.Name)) < 2 {
			continue
		}
		name := "latency-" + w.Name + ".png"
		if err := latencyChart(r.Sweeps, w, filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("chart %s: %w", name, err)
		}
		names = append(names, name)
	}
	return names, nil
}

func latencyChart(sweeps []Attack, w workload, file string) error {
	panels := [][]*plot.Plot{{nil, nil}}
	for i, q := range budgetQuantiles {
		p := plot.New()
		title := q.name
		if q.name == "p99" {
			title = "p99 (median of slices)"
		}
		p.Title.Text = fmt.Sprintf("%s: %s latency", w.Name, title)
		p.X.Label.Text = "offered rate (requests/s)"
		p.Y.Label.Text = "latency (ms)"
		p.Y.Min = 0
		p.Legend.Top = true
		p.Legend.Left = true
		p.Add(plotter.NewGrid())
		top := 0.0
		for _, t := range targetNames {
			var pts plotter.XYs
			for _, a := range sweeps {
				if a.Target == t && a.Workload == w.Name {
					pts = append(pts, plotter.XY{X: float64(a.Rate), Y: ms(q.of(a, false))})
					top = max(top, ms(q.of(a, false)))
				}
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			c := targetColors[t]
			line.Color, points.Color = c, c
			line.Width = vg.Points(1.5)
			points.Shape = draw.CircleGlyph{}
			p.Add(line, points)
			p.Legend.Add(t, line, points)
		}
		p.Y.Max = top * 1.35 // room for the legend above the lines
		panels[0][i] = p
	}
	img := vgimg.New(vg.Points(900), vg.Points(360))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(panels, tiles, dc)
	for i, p := range panels[0] {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
