import { test } from "node:test";
import assert from "node:assert/strict";
import { slugify, truncateSlug } from "../src/slugify.js";

test("lower-cases and joins words with dashes", () => {
  assert.equal(slugify("Hello World"), "hello-world");
});

test("drops accents", () => {
  assert.equal(slugify("Crème Brûlée"), "creme-brulee");
});

test("truncates without a trailing dash", () => {
  assert.equal(truncateSlug("hello-world", 6), "hello");
});
