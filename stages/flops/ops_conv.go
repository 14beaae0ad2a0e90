package flops

import "fmt"

// convRule gives the rules of the float convolutions. Conv costs output
// elements × (input channels / group) × kernel elements MACs, which covers
// grouped, depthwise and dilated convolutions (dilation changes the output
// size, not the work per output); ConvTranspose costs input elements ×
// (output channels / group) × kernel elements, since each input element is
// scattered through the whole kernel. Both are counted in PaperMACs, as the
// paper's code counted convolutions. FLOPs are 2 per MAC (a multiply and an
// add) plus one per output element where a bias (input 2) is added.
func convRule(op string) (rule, bool) {
	switch op {
	case "Conv":
		return rule{kind: kindMAC, infer: inferConv, count: countConv(1, 2, false), conv: true}, true
	case "ConvTranspose":
		return rule{kind: kindMAC, infer: inferConvTranspose, count: countConv(1, 2, true), conv: true}, true
	}
	return rule{}, false
}

// countConv counts a convolution whose weight is input w and bias input
// bias (-1 when it has none): the MACs of every output element (every
// input element when transposed) times the weight's elements per output
// channel, 2 FLOPs per MAC, and one FLOP per output element for the bias.
func countConv(w, bias int, transposed bool) func(o operands, outElems int64) (macs, flops int64, err error) {
	return func(o operands, outElems int64) (macs, flops int64, err error) {
		wv, err := o.input(w)
		if err != nil {
			return 0, 0, err
		}
		if len(wv.dims) < 1 {
			return 0, 0, fmt.Errorf("input %d is a scalar, not a convolution weight", w)
		}
		perOut := int64(1)
		for _, d := range wv.dims[1:] {
			perOut = mulSat(perOut, d)
		}
		if !transposed {
			macs = mulSat(outElems, perOut)
		} else {
			x, err := o.input(0)
			if err != nil {
				return 0, 0, err
			}
			macs = mulSat(x.elems(), perOut)
		}
		flops = mulSat(2, macs)
		if o.has(bias) {
			flops = addSat(flops, outElems)
		}
		return macs, flops, nil
	}
}

// convGeometry holds the spatial parameters shared by Conv, ConvTranspose and pools.
type convGeometry struct {
	kernel, strides, dilations, pads []int64
	autoPad                          string
}

// geometry reads a sliding window's strides, dilations, pads and auto_pad
// (defaults: ones, zeros, NOTSET) and checks them against the kernel.
func geometry(n *Node, spatial int, kernel []int64) (convGeometry, error) {
	a := attrs{n}
	g := convGeometry{kernel: kernel, autoPad: a.str("auto_pad", "NOTSET")}
	if len(g.kernel) != spatial {
		return g, fmt.Errorf("kernel %v does not match %d spatial dims", g.kernel, spatial)
	}
	ones := func() []int64 {
		s := make([]int64, spatial)
		for i := range s {
			s[i] = 1
		}
		return s
	}
	g.strides, g.dilations, g.pads = ones(), ones(), make([]int64, 2*spatial)
	if s, ok := a.ints("strides"); ok && len(s) > 0 {
		g.strides = s
	}
	if d, ok := a.ints("dilations"); ok && len(d) > 0 {
		g.dilations = d
	}
	if p, ok := a.ints("pads"); ok && len(p) > 0 {
		g.pads = p
	}
	if len(g.strides) != spatial || len(g.dilations) != spatial || len(g.pads) != 2*spatial {
		return g, fmt.Errorf("strides %v, dilations %v or pads %v do not match %d spatial dims", g.strides, g.dilations, g.pads, spatial)
	}
	for i := range spatial {
		if g.strides[i] < 1 || g.dilations[i] < 1 || g.kernel[i] < 1 || g.pads[i] < 0 || g.pads[i+spatial] < 0 {
			return g, fmt.Errorf("kernel %v, strides %v, dilations %v or pads %v out of range", g.kernel, g.strides, g.dilations, g.pads)
		}
	}
	return g, nil
}

// outDim is the output length of a sliding window along one axis.
func (g convGeometry) outDim(i int, in int64, ceil bool) (int64, error) {
	if in < 0 {
		return -1, nil
	}
	s := g.strides[i]
	switch g.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return (in + s - 1) / s, nil
	case "VALID":
		eff := (g.kernel[i]-1)*g.dilations[i] + 1
		if in < eff {
			return 0, fmt.Errorf("input %d is smaller than the kernel extent %d", in, eff)
		}
		return (in-eff)/s + 1, nil
	case "NOTSET", "":
	default:
		return 0, fmt.Errorf("auto_pad %q is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", g.autoPad)
	}
	eff := (g.kernel[i]-1)*g.dilations[i] + 1
	span := in + g.pads[i] + g.pads[i+len(g.kernel)] - eff
	if span < 0 {
		return 0, fmt.Errorf("input %d plus padding is smaller than the kernel extent %d", in, eff)
	}
	out := span/s + 1
	if ceil && span%s != 0 {
		out++
		// The last window must start inside the input or its left padding.
		if (out-1)*s >= in+g.pads[i] {
			out--
		}
	}
	return out, nil
}

// convOperands returns a convolution's input and weight, checked to have
// equal ranks of at least 3, its window geometry (kernel_shape, else the
// weight's spatial dims) and its group.
func convOperands(n *Node, ins []*value) (x, w *value, g convGeometry, group int64, err error) {
	x, w, err = need2(ins, 0, 1)
	if err != nil {
		return nil, nil, g, 0, err
	}
	if x.rank < 3 || w.rank != x.rank {
		return nil, nil, g, 0, fmt.Errorf("input rank %d and weight rank %d: need equal ranks of at least 3", x.rank, w.rank)
	}
	kernel := w.dims[2:]
	if k, ok := (attrs{n}).ints("kernel_shape"); ok && len(k) > 0 {
		kernel = k
	}
	g, err = geometry(n, x.rank-2, kernel)
	if err != nil {
		return nil, nil, g, 0, err
	}
	group = attrs{n}.int("group", 1)
	if group < 1 {
		return nil, nil, g, 0, fmt.Errorf("group %d must be at least 1", group)
	}
	return x, w, g, group, nil
}

// inferConv gives output channels from the weight and each spatial dim from
// the window geometry.
func inferConv(n *Node, ins []*value) ([]*value, error) {
	x, w, g, group, err := convOperands(n, ins)
	if err != nil {
		return nil, err
	}
	spatial := x.rank - 2
	if x.dims[1] >= 0 && w.dims[1] >= 0 && x.dims[1] != w.dims[1]*group {
		return nil, fmt.Errorf("input has %d channels; weight %v with group %d needs %d", x.dims[1], w.dims, group, w.dims[1]*group)
	}
	dims := []int64{x.dims[0], w.dims[0]}
	for i := range spatial {
		d, err := g.outDim(i, x.dims[2+i], false)
		if err != nil {
			return nil, err
		}
		dims = append(dims, d)
	}
	return []*value{shaped(x.dtype, dims)}, nil
}

// inferConvTranspose gives output channels as the weight's dim 1 × group
// and spatial dims from output_shape or from strides, padding and
// output_padding.
func inferConvTranspose(n *Node, ins []*value) ([]*value, error) {
	a := attrs{n}
	x, w, g, group, err := convOperands(n, ins)
	if err != nil {
		return nil, err
	}
	spatial := x.rank - 2
	outPad := make([]int64, spatial)
	if p, ok := a.ints("output_padding"); ok && len(p) == spatial {
		outPad = p
	}
	dims := []int64{x.dims[0], mulSat(w.dims[1], group)}
	if w.dims[1] < 0 {
		dims[1] = -1
	}
	if os, ok := a.ints("output_shape"); ok && len(os) > 0 {
		if len(os) == x.rank {
			os = os[2:]
		}
		if len(os) != spatial {
			return nil, fmt.Errorf("output_shape %v does not match %d spatial dims", os, spatial)
		}
		return []*value{shaped(x.dtype, append(dims, os...))}, nil
	}
	for i := range spatial {
		in := x.dims[2+i]
		if in < 0 {
			dims = append(dims, -1)
			continue
		}
		var d int64
		switch g.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			d = in * g.strides[i]
		default:
			d = g.strides[i]*(in-1) + outPad[i] + (g.kernel[i]-1)*g.dilations[i] + 1
			if g.autoPad != "VALID" {
				d -= g.pads[i] + g.pads[i+spatial]
			}
		}
		if d < 0 {
			return nil, fmt.Errorf("negative output length %d", d)
		}
		dims = append(dims, d)
	}
	return []*value{shaped(x.dtype, dims)}, nil
}
