import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createForecast, forecastNext, forecastScale, forecastUpdate } from "#server/modules/detection/core/forecast.rules.ts";
import { seededRandom } from "#test/support/random.ts";

describe("forecast residuals (damped Holt / ETS(A,Ad,N))", () => {
  it("follows a level and scales residuals by the noise", () => {
    const rnd = seededRandom(6);
    const f = createForecast();
    for (let i = 0; i < 2000; i++) forecastUpdate(f, 100 + (rnd() - 0.5) * 2);
    assert.ok(Math.abs(forecastNext(f) - 100) < 1);
    const sigma = forecastScale(f);
    assert.ok(sigma > 0.3 && sigma < 1.2, `scale ${sigma}`);
  });

  it("tracks a trend", () => {
    const f = createForecast();
    for (let i = 0; i < 3000; i++) forecastUpdate(f, i * 0.5);
    assert.ok(Math.abs(forecastNext(f) - 3000 * 0.5) < 5, `next ${forecastNext(f)}`);
  });

  it("is barely moved by one outlier (clipped update)", () => {
    const rnd = seededRandom(7);
    const f = createForecast();
    for (let i = 0; i < 500; i++) forecastUpdate(f, 10 + rnd());
    const before = forecastNext(f);
    forecastUpdate(f, 1e6);
    assert.ok(Math.abs(forecastNext(f) - before) < 3, `moved to ${forecastNext(f)}`);
  });

  it("does not freeze on a series that was flat until now", () => {
    const f = createForecast();
    for (let i = 0; i < 100; i++) forecastUpdate(f, 5, 0.01);
    for (let i = 0; i < 100; i++) forecastUpdate(f, 8, 0.01);
    assert.ok(Math.abs(forecastNext(f) - 8) < 0.5, `next ${forecastNext(f)}`);
  });
});
