import { test } from "node:test";
import assert from "node:assert/strict";
import { TesseraError } from "../../src/support/errors.js";
import {
  Schedule,
  printSchedule,
  scheduleFromJson,
  scheduleToJson,
  split,
  splitOverlap,
} from "../../src/schedule/primitives.js";

const SCHEDULE = new Schedule()
  .computeAt("row_max", "r")
  .split("i", 4)
  .split("j", 8, "jo", "ji")
  .reorder("i.outer", "jo", "i.inner", "ji")
  .fuse("i.outer", "jo")
  .tile("a", "b", 2, 4)
  .vectorize("ji")
  .unroll("i.inner")
  .parallel("i.outer.jo.fused");

test("the fluent Schedule appends plain records", () => {
  assert.equal(SCHEDULE.records.length, 9);
  assert.deepEqual(SCHEDULE.records[1], { kind: "split", loop: "i", factor: 4 });
  assert.deepEqual(SCHEDULE.records[2], { kind: "split", loop: "j", factor: 8, outerName: "jo", innerName: "ji" });
  assert.deepEqual(split("x", 2), { kind: "split", loop: "x", factor: 2 });
});

test("schedules round-trip through JSON", () => {
  const text = scheduleToJson(SCHEDULE.records);
  assert.deepEqual(scheduleFromJson(text), SCHEDULE.records);
  assert.equal(scheduleToJson(scheduleFromJson(text)), text);
});

test("printSchedule shows one primitive per line with the loops it creates", () => {
  assert.equal(
    printSchedule(SCHEDULE.records),
    [
      "compute_at(row_max, r)",
      "split(i, 4) -> i.outer, i.inner",
      "split(j, 8) -> jo, ji",
      "reorder(i.outer, jo, i.inner, ji)",
      "fuse(i.outer, jo) -> i.outer.jo.fused",
      "tile(a, b, 2, 4)",
      "vectorize(ji)",
      "unroll(i.inner)",
      "parallel(i.outer.jo.fused)",
    ].join("\n"),
  );
});

test("overlap splits carry tail 'overlap', round-trip through JSON and print it", () => {
  const records = new Schedule().splitOverlap("w", 4).splitOverlap("h", 2, "ho", "hi").records;
  assert.deepEqual(records[0], { kind: "split", loop: "w", factor: 4, tail: "overlap" });
  assert.deepEqual(splitOverlap("h", 2, "ho", "hi"), records[1]);
  const text = scheduleToJson(records);
  assert.deepEqual(scheduleFromJson(text), records);
  assert.deepEqual(scheduleFromJson('[{"kind":"split","loop":"w","factor":4,"tail":"guard"}]'), [
    { kind: "split", loop: "w", factor: 4, tail: "guard" },
  ]);
  assert.equal(printSchedule(records), "split(w, 4, overlap) -> w.outer, w.inner\nsplit(h, 2, overlap) -> ho, hi");
});

test("malformed schedule JSON throws E_INVALID_SCHEDULE", () => {
  const invalid = (text: string, pattern: RegExp): void =>
    assert.throws(
      () => scheduleFromJson(text),
      (error: unknown) =>
        error instanceof TesseraError && error.code === "E_INVALID_SCHEDULE" && pattern.test(error.message),
    );
  invalid("{", /not JSON/);
  invalid('{"kind":"split"}', /array/);
  invalid('[{"kind":"spilt","loop":"i","factor":4}]', /unknown kind "spilt"/);
  invalid('[{"kind":"split","loop":"i","factor":0}]', /factor/);
  invalid('[{"kind":"split","loop":"i","factor":2.5}]', /factor/);
  invalid('[{"kind":"vectorize","loop":3}]', /loop/);
  invalid('[{"kind":"split","loop":"i","factor":4,"tail":"shift"}]', /field 'tail'/);
  invalid('[{"kind":"parallel","loop":"i","extra":1}]', /unknown field 'extra'/);
  invalid('[{"kind":"reorder","order":["i",2]}]', /order/);
});
