// The SLA board updates its table by itself: every data-refresh-seconds it asks the server for
// the rows (an HTML fragment, rendered and escaped by the server) and swaps them in. A static
// file, so the page's Content-Security-Policy needs no 'unsafe-inline'.
"use strict";

(function () {
  const table = document.querySelector("table[data-rows-url]");
  if (!table) {
    return;
  }
  const url = table.dataset.rowsUrl;
  const seconds = Number(table.dataset.refreshSeconds) || 30;

  async function refresh() {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      return; // the network is away: keep the rows shown, try again at the next tick
    }
    if (response.redirected || response.status === 401 || response.status === 403) {
      window.location.reload(); // signed out meanwhile: the page itself says what to do
      return;
    }
    if (response.ok) {
      table.tBodies[0].innerHTML = await response.text();
      table.dataset.refreshedAt = new Date().toISOString();
    }
  }

  window.setInterval(refresh, seconds * 1000);
})();
