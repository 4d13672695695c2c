// A period chosen in the list is shown at once; without JavaScript the «Показать» button does it.
document.querySelectorAll("[data-autosubmit]").forEach((select) => {
  select.form.querySelector("[data-autosubmit-button]").hidden = true;
  select.addEventListener("change", () => select.form.submit());
});
