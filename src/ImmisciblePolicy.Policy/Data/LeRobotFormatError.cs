namespace ImmisciblePolicy.Policy.Data;

/// <summary>
/// Builds the <see cref="InvalidDataException"/> thrown when a dataset on disk does not match the LeRobot
/// v3.0 layout. The message starts with the offending file (relative to the dataset root) and says what
/// was expected and what was found; the file is also kept in <see cref="Exception.Data"/> under
/// <see cref="FileKey"/>. (InvalidDataException is sealed, so this is a factory rather than a subclass.)
/// </summary>
internal static class LeRobotFormatError
{
    public const string FileKey = "LeRobotFile";

    public static InvalidDataException Create(string relativePath, string problem, Exception? inner = null)
    {
        var error = new InvalidDataException($"LeRobot dataset file '{relativePath}': {problem}", inner);
        error.Data[FileKey] = relativePath;
        return error;
    }
}
