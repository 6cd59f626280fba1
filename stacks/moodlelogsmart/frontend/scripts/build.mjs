// Builds dist/: copies public/, fingerprints the JS and CSS from src/ by content hash and
// injects the API base URL (API_URL at build time) into index.html. No bundler needed.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const apiUrl = process.env.API_URL ?? "http://localhost:8000";
const out = "dist";

rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });
cpSync("public", out, { recursive: true });

let html = readFileSync("src/index.html", "utf8");
for (const file of ["main.js", "styles.css"]) {
  const body = readFileSync(`src/${file}`);
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 8);
  const [stem, ext] = file.split(".");
  const name = `assets/${stem}.${hash}.${ext}`;
  writeFileSync(`${out}/${name}`, body);
  html = html.replace(`/${file}`, `/${name}`);
}
html = html.replace("%API_URL%", apiUrl);
writeFileSync(`${out}/index.html`, html);
console.log(`built ${out}/ (api: ${apiUrl})`);
