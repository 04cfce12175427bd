// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const token = document.getElementById("new-token");
  if (token) token.addEventListener("click", () => navigator.clipboard?.writeText(token.textContent.trim()));
});
