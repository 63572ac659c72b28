package org.ratesim.sim;

/**
 * Tap tables of a conv2d or pool layer: the outputs that each input row and column reaches, padding-aware.
 *
 * <p>Input row ih reaches output row oh through kernel row kh iff oh·stride − padTop + kh·dilation = ih with
 * 0 ≤ oh < H_out. Columns work alike. An input neuron's targets are the product of its row taps and column taps,
 * so border neurons of a padded layer touch fewer outputs than inner ones.
 */
final class LayerGeometry {

    final int inChannels;
    final int inWidth;
    final int outChannels;
    final int outWidth;
    final int kernelWidth;
    final int kernelHeight;
    /** Taps of input row ih are entries rowStart[ih] .. rowStart[ih + 1] of rowKernel and rowOut. */
    final int[] rowStart;
    final int[] rowKernel;
    final int[] rowOut;
    final int[] colStart;
    final int[] colKernel;
    final int[] colOut;

    LayerGeometry(SpikingLayer layer) {
        int[] in = layer.inputShape();
        int[] out = layer.outputShape();
        inChannels = in[0];
        inWidth = in[2];
        outChannels = out[0];
        outWidth = out[2];
        kernelHeight = layer.kernel()[0];
        kernelWidth = layer.kernel()[1];
        int[][] rows = taps(in[1], out[1], kernelHeight, layer.stride()[0], layer.padding()[0], layer.dilation()[0]);
        rowStart = rows[0];
        rowKernel = rows[1];
        rowOut = rows[2];
        int[][] cols = taps(in[2], out[2], kernelWidth, layer.stride()[1], layer.padding()[2], layer.dilation()[1]);
        colStart = cols[0];
        colKernel = cols[1];
        colOut = cols[2];
    }

    /** Returns {start, kernel index, output index} arrays of the taps of every input coordinate. */
    private static int[][] taps(int inSize, int outSize, int kernel, int stride, int padBefore, int dilation) {
        int[] start = new int[inSize + 1];
        int count = 0;
        for (int i = 0; i < inSize; i++) {
            start[i] = count;
            for (int k = 0; k < kernel; k++) {
                int shifted = i + padBefore - k * dilation;
                if (shifted >= 0 && shifted % stride == 0 && shifted / stride < outSize) {
                    count++;
                }
            }
        }
        start[inSize] = count;
        int[] kernelIndex = new int[count];
        int[] outIndex = new int[count];
        int next = 0;
        for (int i = 0; i < inSize; i++) {
            for (int k = 0; k < kernel; k++) {
                int shifted = i + padBefore - k * dilation;
                if (shifted >= 0 && shifted % stride == 0 && shifted / stride < outSize) {
                    kernelIndex[next] = k;
                    outIndex[next] = shifted / stride;
                    next++;
                }
            }
        }
        return new int[][] {start, kernelIndex, outIndex};
    }

    /** Returns the number of output positions that input position (ih, iw) reaches. */
    int positionsReached(int ih, int iw) {
        return (rowStart[ih + 1] - rowStart[ih]) * (colStart[iw + 1] - colStart[iw]);
    }
}
