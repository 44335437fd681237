package io.lockstep.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lockstep.LockstepNode;
import io.lockstep.security.OperatorPrincipal;
import io.lockstep.security.ServicePrincipal;
import io.lockstep.testing.HttpApi;
import io.lockstep.testing.TestDatabase;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium; nothing is downloaded): sign in with an operator
 * token, see the local node among the members, open a merchant being written to, see a change
 * arrive live, move the history slider and see the earlier state. Screenshots go to
 * {@code target/console-*.png}.
 *
 * <p>Without the browser or its driver the test is skipped with a message, unless
 * {@code LOCKSTEP_REQUIRE_BROWSER=1} (set by {@code .ci/run}), which makes that a failure.
 */
class ConsoleBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(20);
  static TestDatabase database;
  static LockstepNode node;
  static WebDriver browser;
  static io.lockstep.client.LockstepClient till;

  @BeforeAll
  static void start() throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    String message = "SKIPPED: " + CHROMIUM + " or " + DRIVER + " missing; the console was NOT tested in a browser"
        + " (apt-get install -y chromium chromium-driver, see .ci/run)";
    if (!present && "1".equals(System.getenv("LOCKSTEP_REQUIRE_BROWSER"))) {
      throw new AssertionError(message.replace("SKIPPED: ", "") + " and LOCKSTEP_REQUIRE_BROWSER=1");
    }
    if (!present) System.err.println(message);
    Assumptions.assumeTrue(present, message);
    database = TestDatabase.create(ConsoleBrowserTest.class);
    node = LockstepNode.start(database.config());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1400,1000", "--user-data-dir=" + Files.createTempDirectory("lockstep-chromium"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) browser.quit();
    if (till != null) till.close();
    if (node != null) node.close();
    if (database != null) database.close();
  }

  private static String rowText(String table, String key) {
    List<WebElement> rows = browser.findElements(By.cssSelector("#" + table + " tbody tr[data-key='" + key + "']"));
    return rows.isEmpty() ? "" : rows.get(0).getText();
  }

  private static void waitFor(String what, java.util.function.BooleanSupplier condition) {
    // The page re-renders its tables every second: an element read mid-render is stale, read again.
    new WebDriverWait(browser, WAIT).withMessage(what).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> condition.getAsBoolean());
  }

  private static void screenshot(String name) throws Exception {
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), Path.of("target", name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static long counter = System.currentTimeMillis();

  private static void write(HttpApi http, String token, String mutationJson) {
    String body = "{\"mutations\":[{\"counter\":\"" + (++counter) + "\"," + mutationJson + "}]}";
    HttpResponse<String> response = http.post("/v1/merchants/cafe/mutations", token, body);
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.body().contains("ACCEPTED"), response.body());
  }

  @Test
  void anOperatorSignsInSeesTheFleetWatchesAMerchantLiveAndScrollsItsHistory() throws Exception {
    HttpApi http = new HttpApi(node.httpPort());
    String service = node.tokens().mint(new ServicePrincipal("pos", Optional.of("cafe")));
    write(http, service, "\"upsertItem\":{\"itemId\":\"coffee\",\"name\":\"Coffee\",\"priceCents\":\"350\"}");
    write(http, service, "\"setStock\":{\"itemId\":\"coffee\",\"count\":\"10\"}");
    String deviceToken = node.tokens().mint(new io.lockstep.security.DevicePrincipal("cafe", "till"));
    till = io.lockstep.client.LockstepClient.open(io.lockstep.client.ClientConfig.builder()
        .serverUri(java.net.URI.create("ws://127.0.0.1:" + node.devicePort() + "/v1/devices/ws"))
        .deviceId("till").token(() -> deviceToken)
        .storePath(Files.createTempDirectory("lockstep-till").resolve("till.store")).build());
    till.start();
    assertTrue(till.awaitApplied(2, WAIT), "the till applied the first writes");

    browser.get("http://127.0.0.1:" + node.managementPort() + "/console");
    browser.findElement(By.id("token")).sendKeys(node.tokens().mint(new OperatorPrincipal("alice")));
    browser.findElement(By.id("sign-in")).click();

    String self = "127.0.0.1:" + node.system().address().getPort().get();
    waitFor("the local node among the members, Up",
        () -> browser.findElement(By.id("members")).getText().contains(self)
            && browser.findElement(By.id("members")).getText().contains("Up"));
    waitFor("the merchant among the hot merchants", () -> !rowText("hot", "cafe").isEmpty());
    screenshot("console-fleet.png");

    waitFor("the merchant opened from the hot list", () -> {
      browser.findElement(By.cssSelector("#hot tbody tr[data-key='cafe']")).click();
      return browser.findElement(By.id("merchant-name")).getText().equals("cafe");
    });
    waitFor("the item at stock 10", () -> rowText("items", "coffee").contains("10"));
    assertEquals("2", browser.findElement(By.id("head-seq")).getText());
    waitFor("the till connected, applied seq 2", () -> rowText("devices", "till").matches("till yes 2.*"));

    write(http, service, "\"adjustStock\":{\"itemId\":\"coffee\",\"delta\":\"-3\"}");
    waitFor("the sale arriving live: stock 7", () -> rowText("items", "coffee").matches("coffee Coffee 7 .*"));
    waitFor("head seq 3", () -> browser.findElement(By.id("head-seq")).getText().equals("3"));
    waitFor("the till applied the sale", () -> rowText("devices", "till").matches("till yes 3.*"));

    // The slider to seq 1: the item exists, its stock not yet set.
    ((JavascriptExecutor) browser).executeScript(
        "const s = document.getElementById('history-slider'); s.value = 1; s.dispatchEvent(new Event('input'));");
    waitFor("the merchant as it was at seq 1", () -> browser.findElement(By.id("history-seq")).getText().equals("1")
        && rowText("items", "coffee").matches("coffee Coffee 0 .*"));
    screenshot("console-merchant.png");

    browser.findElement(By.id("history-live")).click();
    waitFor("back to live", () -> rowText("items", "coffee").matches("coffee Coffee 7 .*"));
  }
}
