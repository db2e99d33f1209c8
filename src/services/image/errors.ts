import { ImageNotFound, NotFound, ServiceError } from "../errors.js";

/** ImageNotFound with the words Glance uses for the operation at hand. */
export function imageNotFound(imageId: string, message = `No image found with ID ${imageId}`): ImageNotFound {
  const error = new ImageNotFound(imageId);
  error.message = message;
  return error;
}

/** The image was deleted while its data was being uploaded (Glance answers 410 Gone). */
export class ImageGone extends NotFound {
  constructor(readonly imageId: string) {
    super(
      `Image ${imageId} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`,
    );
  }
}

/** Image data, properties or tags over a limit (Glance answers 413). */
export class ImageLimitExceeded extends ServiceError {
  readonly category = "over_limit";
}
