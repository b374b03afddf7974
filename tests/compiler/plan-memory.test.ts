import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type BufferRequest, findPlanConflicts, planMemory } from "../../src/compiler/plan-memory.js";
import { InternalError } from "../../src/support/assert.js";

function offsetOf(plan: ReturnType<typeof planMemory>, id: number): number {
  return plan.placements.get(id)!.offset;
}

describe("planMemory", () => {
  it("reuses bytes between buffers whose lifetimes do not overlap", () => {
    const requests: BufferRequest[] = [
      { id: 1, bytes: 1000, firstUse: 0, lastUse: 1 },
      { id: 2, bytes: 1000, firstUse: 1, lastUse: 2 },
      { id: 3, bytes: 1000, firstUse: 2, lastUse: 3 },
    ];
    const plan = planMemory(requests, { stepCount: 4 });
    assert.equal(offsetOf(plan, 1), offsetOf(plan, 3));
    assert.notEqual(offsetOf(plan, 1), offsetOf(plan, 2));
    assert.equal(plan.arenaBytes, 2048);
    assert.deepEqual(findPlanConflicts(requests, plan, { stepCount: 4 }), []);
  });

  it("keeps buffers live at the same step apart, aligned to 64 bytes", () => {
    const requests: BufferRequest[] = [
      { id: 1, bytes: 10, firstUse: 0, lastUse: 2 },
      { id: 2, bytes: 20, firstUse: 1, lastUse: 1 },
      { id: 3, bytes: 30, firstUse: 2, lastUse: 2 },
    ];
    const plan = planMemory(requests, { stepCount: 3 });
    for (const request of requests) assert.equal(offsetOf(plan, request.id) % 64, 0);
    assert.notEqual(offsetOf(plan, 1), offsetOf(plan, 2));
    assert.notEqual(offsetOf(plan, 1), offsetOf(plan, 3));
    assert.equal(offsetOf(plan, 2), offsetOf(plan, 3), "2 and 3 never live together");
    assert.equal(plan.arenaBytes, 128);
  });

  it("honours a 16-byte alignment", () => {
    const requests: BufferRequest[] = [
      { id: 1, bytes: 4, firstUse: 0, lastUse: 0 },
      { id: 2, bytes: 4, firstUse: 0, lastUse: 0 },
    ];
    const plan = planMemory(requests, { stepCount: 1, alignment: 16 });
    assert.deepEqual([offsetOf(plan, 1), offsetOf(plan, 2)].sort(), [0, 16]);
    assert.equal(plan.arenaBytes, 32);
  });

  it("puts a buffer in the smallest gap that holds it", () => {
    const requests: BufferRequest[] = [
      { id: 1, bytes: 2048, firstUse: 0, lastUse: 0 },
      { id: 2, bytes: 1024, firstUse: 1, lastUse: 3 },
      { id: 3, bytes: 512, firstUse: 0, lastUse: 3 },
      { id: 4, bytes: 512, firstUse: 1, lastUse: 1 },
    ];
    const plan = planMemory(requests, { stepCount: 4 });
    // Placed by size: 1 at 0; 2 overlaps only 3's lifetime (unplaced yet) -> 0; 3 overlaps 1 and 2 -> 2048;
    // 4 overlaps 2 and 3: gap [1024, 2048) is the only one that fits.
    assert.equal(offsetOf(plan, 1), 0);
    assert.equal(offsetOf(plan, 2), 0);
    assert.equal(offsetOf(plan, 3), 2048);
    assert.equal(offsetOf(plan, 4), 1024);
    assert.equal(plan.arenaBytes, 2560);
    assert.deepEqual(findPlanConflicts(requests, plan, { stepCount: 4 }), []);
  });

  it("extends graph inputs to step 0 and graph outputs to the last step", () => {
    const requests: BufferRequest[] = [
      { id: 1, bytes: 64, firstUse: 2, lastUse: 2, isGraphInput: true },
      { id: 2, bytes: 64, firstUse: 0, lastUse: 0 },
      { id: 3, bytes: 64, firstUse: 1, lastUse: 1, isGraphOutput: true },
      { id: 4, bytes: 64, firstUse: 3, lastUse: 3 },
    ];
    const plan = planMemory(requests, { stepCount: 4 });
    assert.notEqual(offsetOf(plan, 1), offsetOf(plan, 2), "the input is written before step 0");
    assert.notEqual(offsetOf(plan, 3), offsetOf(plan, 4), "the output is read after the last step");
    assert.deepEqual(findPlanConflicts(requests, plan, { stepCount: 4 }), []);
  });

  it("places views inside their source and keeps the source alive for them", () => {
    const requests: BufferRequest[] = [
      { id: 1, bytes: 256, firstUse: 0, lastUse: 1 },
      { id: 2, bytes: 128, firstUse: 1, lastUse: 3, aliasOf: 1, aliasByteOffset: 128 },
      { id: 3, bytes: 64, firstUse: 3, lastUse: 4, aliasOf: 2 },
      { id: 4, bytes: 256, firstUse: 2, lastUse: 4 },
    ];
    const plan = planMemory(requests, { stepCount: 5 });
    assert.equal(offsetOf(plan, 2), offsetOf(plan, 1) + 128);
    assert.equal(offsetOf(plan, 3), offsetOf(plan, 2));
    assert.notEqual(offsetOf(plan, 4), offsetOf(plan, 1), "1 lives on through its views until step 4");
    assert.deepEqual(findPlanConflicts(requests, plan, { stepCount: 5 }), []);
  });

  it("rejects views that run past their source and alias cycles", () => {
    assert.throws(
      () =>
        planMemory(
          [
            { id: 1, bytes: 64, firstUse: 0, lastUse: 0 },
            { id: 2, bytes: 64, firstUse: 0, lastUse: 0, aliasOf: 1, aliasByteOffset: 16 },
          ],
          { stepCount: 1 },
        ),
      InternalError,
    );
    assert.throws(
      () =>
        planMemory(
          [
            { id: 1, bytes: 64, firstUse: 0, lastUse: 0, aliasOf: 2 },
            { id: 2, bytes: 64, firstUse: 0, lastUse: 0, aliasOf: 1 },
          ],
          { stepCount: 1 },
        ),
      InternalError,
    );
  });

  it("the checker catches a plan that shares bytes between live buffers", () => {
    const requests: BufferRequest[] = [
      { id: 1, bytes: 64, firstUse: 0, lastUse: 1 },
      { id: 2, bytes: 64, firstUse: 1, lastUse: 2 },
    ];
    const bad = {
      arenaBytes: 64,
      placements: new Map([
        [1, { offset: 0, bytes: 64, firstUse: 0, lastUse: 1 }],
        [2, { offset: 0, bytes: 64, firstUse: 1, lastUse: 2 }],
      ]),
    };
    assert.equal(findPlanConflicts(requests, bad, { stepCount: 3 }).length, 1);
  });

  it("never overlaps live buffers on random intervals and aliases (property)", () => {
    let seed = 12345;
    const random = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % limit;
    };
    for (let trial = 0; trial < 300; trial++) {
      const stepCount = 1 + random(12);
      const requests: BufferRequest[] = [];
      const count = 1 + random(25);
      for (let id = 0; id < count; id++) {
        const firstUse = random(stepCount);
        const lastUse = firstUse + random(stepCount - firstUse);
        const source = id > 0 && random(5) === 0 ? requests[random(id)] : undefined;
        const bytes = source === undefined ? random(5000) : random(source.bytes + 1);
        const aliasByteOffset = source === undefined ? 0 : random(source.bytes - bytes + 1);
        requests.push({
          id,
          bytes,
          firstUse,
          lastUse,
          isGraphInput: random(6) === 0,
          isGraphOutput: random(6) === 0,
          ...(source === undefined ? {} : { aliasOf: source.id, aliasByteOffset }),
        });
      }
      const options = { stepCount, alignment: random(2) === 0 ? 16 : 64 };
      const plan = planMemory(requests, options);
      assert.deepEqual(findPlanConflicts(requests, plan, options), [], `trial ${trial}`);
      const total = requests
        .filter((r) => r.aliasOf === undefined)
        .reduce((sum, r) => sum + Math.ceil(r.bytes / 64) * 64, 0);
      assert.ok(plan.arenaBytes <= total, "never worse than giving every buffer its own bytes");
    }
  });
});
