const api = document.querySelector('meta[name="api-url"]').content;

async function health() {
  const el = document.getElementById("health");
  try {
    const res = await fetch(`${api}/api/health`);
    el.textContent = (await res.json()).status;
  } catch {
    el.textContent = "api unreachable";
  }
}

async function summary() {
  const res = await fetch(`${api}/api/logs/summary`);
  const data = await res.json();
  document.getElementById("summary").innerHTML = `
    <p>${data.events} events</p>
    <h2>Most active users</h2>
    <ol>${data.top_users.map(([u, n]) => `<li>${u} (${n})</li>`).join("")}</ol>`;
}

document.getElementById("upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  await fetch(`${api}/api/logs/upload`, { method: "POST", body: new FormData(event.target) });
  await summary();
});

health();
summary();
