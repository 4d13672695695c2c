// «Новая картинка»: another picture code without losing what is typed in the form.
document.querySelectorAll("[data-captcha-refresh]").forEach(function (button) {
  var box = button.closest(".kb-captcha");
  var image = box.querySelector("[data-captcha-image]");
  var key = box.parentElement.querySelector("input[type=hidden][name$='_0']");
  var answer = box.parentElement.querySelector("input[type=text][name$='_1']");
  if (!image || !key) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    fetch(button.dataset.url, { headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status === 429
          ? "Слишком много новых картинок, подождите минуту." : "Не удалось получить картинку.");
        return response.json();
      })
      .then(function (data) {
        image.src = data.image_url;
        key.value = data.key;
        if (answer) { answer.value = ""; answer.focus(); }
      })
      .catch(function (error) { button.textContent = error.message; });
  });
});
