// Django's admin puts its time-zone note («Время указывается по часовому поясу…») under
// date-only fields too; a date has no time of day, so the note is dropped there.
window.addEventListener("load", () => {
  document.querySelectorAll(".timezonewarning").forEach((note) => {
    const input = document.getElementById(note.id.replace(/_timezone_warning_helptext$/, ""));
    if (input && input.classList.contains("vDateField") && !input.closest("p.datetime")) {
      note.remove();
    }
  });
});
