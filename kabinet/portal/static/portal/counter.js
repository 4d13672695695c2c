// A text with a limit («data-counter="5000"») shows how many characters are left, and how many
// too many: nothing is cut, the server refuses a text that is too long and says why.
document.querySelectorAll("textarea[data-counter]").forEach((area) => {
  const limit = Number(area.dataset.counter);
  const note = document.createElement("div");
  note.className = "form-text";
  note.id = `${area.id}-counter`;
  note.setAttribute("aria-live", "polite");
  area.after(note);
  area.setAttribute("aria-describedby", `${area.getAttribute("aria-describedby") || ""} ${note.id}`.trim());
  const format = (n) => n.toLocaleString("ru-RU");
  const update = () => {
    const left = limit - area.value.length;
    note.textContent = left >= 0
      ? `Осталось ${format(left)} из ${format(limit)} символов.`
      : `Текст длиннее на ${format(-left)} символов: сократите его или разбейте на два сообщения.`;
    note.classList.toggle("text-danger", left < 0);
  };
  area.addEventListener("input", update);
  update();
});
