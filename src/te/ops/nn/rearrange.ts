/**
 * Block rearrangements and reversal: DepthToSpace, SpaceToDepth,
 * ReverseSequence. Pure index arithmetic over the output position.
 */
import { type Expr, add, cast, compare, div, int, mul, rem, select, sub, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError, unsupported } from "../../builders.js";
import { clampIndex, loadAt, outputName, requireInput } from "./common.js";

function blockInput(context: OpBuildContext): { x: TeTensor; block: number } {
  const x = requireInput(context, 0).tensor;
  const block = context.attributes.int("blocksize");
  if (x.shape.length !== 4 || block < 1)
    throw shapeError(context.node, `needs a 4-D input and blocksize ≥ 1, got [${x.shape.join(",")}]`);
  return { x, block };
}

/**
 * DepthToSpace: out[n, c, h, w] = x[n, channel, h / b, w / b] with
 * (bh, bw) = (h % b, w % b) and channel = (bh·b + bw)·C' + c (DCR) or
 * c·b² + bh·b + bw (CRD).
 */
function buildDepthToSpace(context: OpBuildContext): TeTensor {
  const { x, block } = blockInput(context);
  const mode = context.attributes.string("mode", "DCR");
  if (mode !== "DCR" && mode !== "CRD") throw unsupported(context.node, `mode '${mode}'`);
  const [batch, channels, height, width] = x.shape as [number, number, number, number];
  if (channels % (block * block) !== 0)
    throw shapeError(context.node, `channels ${channels} are not divisible by blocksize² ${block * block}`);
  const outChannels = channels / (block * block);
  const shape = [batch, outChannels, height * block, width * block];
  const b = int(block);
  return compute(outputName(context), shape, ([n, c, h, w]) => {
    const offset = add(mul(rem(h!, b), b), rem(w!, b));
    const channel = mode === "DCR" ? add(mul(offset, int(outChannels)), c!) : add(mul(c!, int(block * block)), offset);
    return loadAt(x, [n!, channel, div(h!, b), div(w!, b)]);
  });
}

/** SpaceToDepth: out[n, (bh·b + bw)·C + c, h, w] = x[n, c, h·b + bh, w·b + bw]. */
function buildSpaceToDepth(context: OpBuildContext): TeTensor {
  const { x, block } = blockInput(context);
  const [batch, channels, height, width] = x.shape as [number, number, number, number];
  if (height % block !== 0 || width % block !== 0)
    throw shapeError(context.node, `spatial dims ${height}x${width} are not divisible by blocksize ${block}`);
  const shape = [batch, channels * block * block, height / block, width / block];
  const b = int(block);
  return compute(outputName(context), shape, ([n, outChannel, h, w]) => {
    const offset = div(outChannel!, int(channels));
    const channel = rem(outChannel!, int(channels));
    return loadAt(x, [n!, channel, add(mul(h!, b), div(offset, b)), add(mul(w!, b), rem(offset, b))]);
  });
}

/** ReverseSequence: along time_axis, the first sequence_lens[i] elements of batch i are reversed. */
function buildReverseSequence(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const lengths = requireInput(context, 1).tensor;
  const timeAxis = context.attributes.int("time_axis", 0);
  const batchAxis = context.attributes.int("batch_axis", 1);
  const axesValid =
    x.shape.length >= 2 &&
    new Set([timeAxis, batchAxis]).size === 2 &&
    [timeAxis, batchAxis].every((axis) => axis === 0 || axis === 1);
  if (!axesValid || lengths.shape.length !== 1 || lengths.shape[0] !== x.shape[batchAxis]) {
    throw shapeError(
      context.node,
      `sequence_lens [${lengths.shape.join(",")}] does not match input [${x.shape.join(",")}] on batch_axis ${batchAxis}`,
    );
  }
  const steps = x.shape[timeAxis]!;
  return compute(outputName(context), x.shape, (indices) => {
    const time = indices[timeAxis]!;
    const length = clampLength(cast(tload(lengths, [indices[batchAxis]!]), "int32"), steps);
    const reversed: Expr = clampIndex(sub(sub(length, int(1)), time), steps);
    const source = select(compare("lt", time, length), reversed, time);
    return loadAt(
      x,
      indices.map((index, dim) => (dim === timeAxis ? source : index)),
    );
  });
}

function clampLength(length: Expr, steps: number): Expr {
  return clampIndex(length, steps + 1);
}

export const DepthToSpace: OpDefinition = {
  pattern: () => "injective",
  build: (context) => [buildDepthToSpace(context)],
};
export const SpaceToDepth: OpDefinition = {
  pattern: () => "injective",
  build: (context) => [buildSpaceToDepth(context)],
};
export const ReverseSequence: OpDefinition = {
  pattern: () => "injective",
  build: (context) => [buildReverseSequence(context)],
};
