// Prints "N passed, N failed[, N skipped]" from a JUnit report written by `deno test --junit-path`.
// Exits 1 when the report is missing, holds no test, or records a failure.
const path = Deno.args[0] ?? ".ci/out/junit.xml";
let xml: string;
try {
  xml = Deno.readTextFileSync(path);
} catch {
  console.log("0 passed, 1 failed");
  console.error(`junit report "${path}" was not written`);
  Deno.exit(1);
}
let passed = 0;
let failed = 0;
let skipped = 0;
const testcase = /<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
for (const match of xml.matchAll(testcase)) {
  const body = match[2] ?? "";
  if (/<(failure|error)\b/.test(body)) failed++;
  else if (/<skipped\b/.test(body)) skipped++;
  else passed++;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
Deno.exit(failed > 0 || passed === 0 ? 1 : 0);
