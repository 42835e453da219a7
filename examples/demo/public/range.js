// Asks for the first 100 bytes of the large file, and shows what came
// back: 206 Partial Content, its Content-Range and its length.
document.getElementById("range-button").addEventListener("click", async () => {
  const res = await fetch("/download/large.bin", { headers: { Range: "bytes=0-99" } });
  const body = await res.arrayBuffer();
  document.getElementById("range-result").textContent =
    `${res.status} ${res.statusText}, Content-Range: ${res.headers.get("Content-Range")}, ${body.byteLength} bytes`;
});
