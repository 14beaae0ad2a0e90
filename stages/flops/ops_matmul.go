package flops

import (
	"errors"
	"fmt"
)

// matmulRule gives the rules of the float matrix products. Gemm costs
// M × K × N MACs (its alpha and beta scalings are free); MatMul costs
// broadcast batch dims × M × K × N, with numpy's rules for 1-D operands.
// FLOPs are 2 per MAC (a multiply and an add), plus one per output element
// for the bias Gemm adds when input 2 is present.
func matmulRule(op string) (rule, bool) {
	switch op {
	case "Gemm":
		return rule{kind: kindMAC, infer: inferGemm, count: countGemm(2)}, true
	case "MatMul":
		return rule{kind: kindMAC, infer: inferMatMul, count: countMatMul(1)}, true
	}
	return rule{}, false
}

// countGemm counts a Gemm whose bias is input bias: output elements × K
// MACs, 2 FLOPs per MAC, and one FLOP per output element for the bias.
func countGemm(bias int) func(o operands, outElems int64) (macs, flops int64, err error) {
	return func(o operands, outElems int64) (macs, flops int64, err error) {
		a, err := o.input(0)
		if err != nil {
			return 0, 0, err
		}
		if len(a.dims) != 2 {
			return 0, 0, fmt.Errorf("input 0 has rank %d; Gemm needs 2-D inputs", len(a.dims))
		}
		k := a.dims[1]
		if (attrs{o.n}).int("transA", 0) != 0 {
			k = a.dims[0]
		}
		macs = mulSat(outElems, k)
		flops = mulSat(2, macs)
		if o.has(bias) {
			flops = addSat(flops, outElems)
		}
		return macs, flops, nil
	}
}

// countMatMul counts a matrix product of input 0 and input b: batch dims ×
// M × K × N MACs, 2 FLOPs per MAC.
func countMatMul(b int) func(o operands, outElems int64) (macs, flops int64, err error) {
	return func(o operands, _ int64) (macs, flops int64, err error) {
		av, err := o.input(0)
		if err != nil {
			return 0, 0, err
		}
		bv, err := o.input(b)
		if err != nil {
			return 0, 0, err
		}
		_, batch, m, k, n, err := matmulShape(av.dims, bv.dims)
		if err != nil {
			return 0, 0, err
		}
		macs = mulSat(mulSat(m, k), n)
		for _, d := range batch {
			macs = mulSat(macs, d)
		}
		return macs, mulSat(2, macs), nil
	}
}

func inferGemm(n *Node, ins []*value) ([]*value, error) {
	a := attrs{n}
	x, w, err := need2(ins, 0, 1)
	if err != nil {
		return nil, err
	}
	if x.rank != 2 || w.rank != 2 {
		return nil, fmt.Errorf("input ranks %d and %d: Gemm needs 2-D inputs", x.rank, w.rank)
	}
	m, k := x.dims[0], x.dims[1]
	if a.int("transA", 0) != 0 {
		m, k = k, m
	}
	k2, nn := w.dims[0], w.dims[1]
	if a.int("transB", 0) != 0 {
		k2, nn = nn, k2
	}
	if k >= 0 && k2 >= 0 && k != k2 {
		return nil, fmt.Errorf("inner dims %d and %d differ", k, k2)
	}
	return []*value{shaped(x.dtype, []int64{m, nn})}, nil
}

// matmulShape returns the output dims and M, K, N of numpy matmul.
func matmulShape(a, b []int64) (dims []int64, batch []int64, m, k, n int64, err error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, nil, 0, 0, 0, errors.New("MatMul inputs must not be scalars")
	}
	a1, b1 := len(a) == 1, len(b) == 1
	if a1 {
		a = []int64{1, a[0]}
	}
	if b1 {
		b = []int64{b[0], 1}
	}
	m, k = a[len(a)-2], a[len(a)-1]
	k2 := b[len(b)-2]
	n = b[len(b)-1]
	if k >= 0 && k2 >= 0 && k != k2 {
		return nil, nil, 0, 0, 0, fmt.Errorf("inner dims %d and %d differ", k, k2)
	}
	if k < 0 {
		k = k2
	}
	batch, err = broadcastDims(a[:len(a)-2], b[:len(b)-2])
	if err != nil {
		return nil, nil, 0, 0, 0, err
	}
	dims = append([]int64{}, batch...)
	if !a1 {
		dims = append(dims, m)
	}
	if !b1 {
		dims = append(dims, n)
	}
	return dims, batch, m, k, n, nil
}

func inferMatMul(_ *Node, ins []*value) ([]*value, error) {
	x, w, err := need2(ins, 0, 1)
	if err != nil {
		return nil, err
	}
	dims, _, _, _, _, err := matmulShape(x.dims, w.dims)
	if err != nil {
		return nil, err
	}
	return []*value{shaped(x.dtype, dims)}, nil
}
