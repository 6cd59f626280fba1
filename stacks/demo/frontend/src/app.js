// Polls the backend's status endpoint and shows the answer.
const api = (window.DEMO_CONFIG || {}).apiUrl || "http://localhost:8000";

async function refresh() {
  const status = document.getElementById("status");
  try {
    const res = await fetch(`${api}/cgi-bin/status`);
    const body = await res.json();
    status.textContent = body.status;
    document.getElementById("details").textContent = JSON.stringify(body, null, 2);
  } catch (err) {
    status.textContent = `unreachable (${err.message})`;
  }
}

refresh();
setInterval(refresh, 5000);
