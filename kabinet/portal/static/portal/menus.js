// Menus made of <details class="kb-menu">: Esc closes the open one and returns focus to its
// button; a click elsewhere closes it (WCAG 2.1: content on focus can be dismissed).
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.kb-menu[open]").forEach(function (menu) {
    menu.open = false;
    menu.querySelector("summary").focus();
  });
});
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.kb-menu[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) menu.open = false;
  });
});
