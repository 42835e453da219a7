// The chat page: one WebSocket to /chat/ws; every message it brings goes
// into the log, and the form sends what is typed.
const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new WebSocket(`${scheme}://${location.host}/chat/ws`);
const log = document.getElementById("chat-log");
socket.addEventListener("message", (event) => {
  const item = document.createElement("li");
  item.textContent = event.data;
  log.appendChild(item);
});
document.getElementById("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("chat-input");
  if (input.value) {
    socket.send(input.value);
    input.value = "";
  }
});
