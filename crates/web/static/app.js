// Small behaviours that work without it too: the pages are plain HTML forms first.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the first field with an error, so keyboard and screen-reader users land on it.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) { invalid.focus(); }
});

// A double click sends a form once: its submit buttons are disabled while it goes.
// A form marked data-confirm asks first (deleting a template line and the like).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  if (form.getAttribute("method") && form.getAttribute("method").toLowerCase() === "post") {
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }
}, true);

// A button marked data-print opens the browser's print dialog (recovery codes and the like).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});
