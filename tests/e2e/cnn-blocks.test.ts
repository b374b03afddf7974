/**
 * The CNN building blocks of tests/support/cnn-blocks.ts, at small sizes,
 * against onnxruntime-node at 1 and 2 threads in both layouts: squeeze-
 * excitation with SiLU and 5×5 depthwise convs, Hardswish gates, 58-channel
 * ShuffleNet branches (overlapping column blocks), 4 channels per group,
 * BatchNormalization that cannot fold, 1×7 / 7×1 / 5×5 convs with explicit
 * padding, 11×11 stride 4, VGG convs; and two whole networks at a quarter
 * of their widths on 64×64 inputs (ResNeXt-50, ShuffleNet V2 with Split and
 * a ReduceMean head).
 */
import { test } from "node:test";
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { pseudoRandom, size } from "../support/random.js";
import { THREADS_AND_LAYOUTS } from "../support/conv-model.js";
import {
  type BlockModel,
  alexnetStem,
  densenetBlock,
  inceptionBlock,
  mbconvBlock,
  mobilenetV3Block,
  resnext50,
  resnextBlock,
  shufflenetV2,
  shuffleBlock,
  vggBlock,
} from "../support/cnn-blocks.js";

const BLOCKS: readonly BlockModel[] = [
  mbconvBlock({ channels: 8, height: 9, width: 10, repeats: 1 }),
  mobilenetV3Block({ channels: 8, height: 10, width: 10, repeats: 1 }),
  shuffleBlock({ channels: 116, height: 7, width: 6, repeats: 1 }),
  resnextBlock({ channels: 64, height: 9, width: 11, repeats: 1 }),
  densenetBlock({ channels: 16, height: 8, width: 8, repeats: 2 }),
  inceptionBlock({ channels: 16, height: 9, width: 8, repeats: 1 }),
  alexnetStem({ channels: 8, height: 67, width: 67, repeats: 1 }),
  vggBlock({ channels: 8, height: 12, width: 12, repeats: 1 }),
  resnext50({ side: 64, widthScale: 0.25, classes: 10 }),
  shufflenetV2({ side: 64, widthScale: 0.25, classes: 10 }),
];

for (const [index, block] of BLOCKS.entries()) {
  for (const [threads, layout] of THREADS_AND_LAYOUTS) {
    test(`${block.name} matches onnxruntime-node at ${threads} thread(s), ${layout}`, async () => {
      const data = pseudoRandom(size(block.input), 31 + index);
      await expectMatchesOrt(block.bytes, { x: { dtype: "float32", data, dims: block.input } }, { threads, layout });
    });
  }
}
