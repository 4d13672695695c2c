// The admin's search-as-you-type choices (Select2, «autocomplete_fields») name their box by
// the chosen value alone, and the value inside it (a «textbox») not at all, so before a choice
// neither has a name (axe-core: «aria-input-field-name», WCAG 2.1 4.1.2). Name the box by the
// field's label and the value, the value by the label; in a row of a tabular inline, where
// there is no <label>, both by the select's own aria-label (backoffice/admin/rows.py).
// Run after Django's autocomplete.js has drawn the boxes: jQuery calls ready handlers in
// order, and «formset:added» listeners too.
(() => {
  function nameBoxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const box = select.nextElementSibling?.querySelector(".select2-selection");
      if (!box) return;
      const value = box.querySelector(".select2-selection__rendered");
      const label = select.id && document.querySelector(`label[for="${select.id}"]`);
      if (label) {
        label.id ||= `${select.id}_label`;
        box.setAttribute("aria-labelledby", [label.id, value?.id].filter(Boolean).join(" "));
        value?.setAttribute("aria-labelledby", label.id);
      } else if (select.getAttribute("aria-label")) {
        box.removeAttribute("aria-labelledby");
        for (const named of [box, value].filter(Boolean)) {
          named.setAttribute("aria-label", select.getAttribute("aria-label"));
        }
      }
    });
  }
  if (window.django?.jQuery) {
    window.django.jQuery(() => nameBoxes(document));
    document.addEventListener("formset:added", (event) => nameBoxes(event.target));
  }
})();
