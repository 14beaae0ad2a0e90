package zoo

// TransformInput is torchvision's transform_input for GoogLeNet and
// Inception v3 with pretrained weights: the input arrives normalised with
// the ImageNet mean and std, and each channel c is mapped to
// x·(std_c/0.5) + (mean_c−0.5)/0.5, the [−1, 1] scaling the ported
// TensorFlow weights expect. As in torchvision it is done per channel
// (split, multiply, add, concatenate) and adds no parameters.
func (g *Graph) TransformInput(x Tensor) Tensor {
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	chans := g.Split(x, 1, 1, 1)
	for c, ch := range chans {
		ch = g.Mul(ch, g.Scalar(std[c]/0.5))
		chans[c] = g.Add(ch, g.Scalar((mean[c]-0.5)/0.5))
	}
	return g.Concat(chans...)
}

// torchvisionBasicConv is torchvision's BasicConv2d of GoogLeNet and Inception v3: a
// convolution without bias, BatchNorm with epsilon 1e-3, ReLU.
func (g *Graph) torchvisionBasicConv(x Tensor, s ConvSpec) Tensor {
	return g.Relu(g.BNEps(g.ConvX(x, s), 1e-3))
}
