// «Управляющая организация → Дом → Квартира»: reload the lists as soon as a choice changes.
// Without JavaScript the «Показать дома и квартиры» button does the same.
document.querySelectorAll("[data-narrow-form]").forEach((form) => {
  form.querySelector("[data-narrow-button]").hidden = true;
  const levels = ["organization", "house"];
  levels.forEach((name, index) => {
    form.elements[name].addEventListener("change", () => {
      const query = new URLSearchParams();
      levels.slice(0, index + 1).forEach((kept) => query.set(kept, form.elements[kept].value));
      window.location.search = query.toString();
    });
  });
});
