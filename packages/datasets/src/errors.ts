/** A data file that is missing, truncated or not in the expected format; the message names the file. */
export class DatasetError extends Error {
  override name = "DatasetError";
}
